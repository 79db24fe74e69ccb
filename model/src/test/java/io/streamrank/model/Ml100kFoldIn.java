package io.streamrank.model;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.features.FoldInTable;
import io.streamrank.model.features.StreamingFeatures;
import java.util.List;

/**
 * Measurement aid, not a test: the offline prequential RMSE of {@code evaluate}'s split on ML-100k
 * (model fitted on the first 50% of the time range, stopped early on the next 10%, the last 40%
 * scored from strictly earlier ratings), for the model with the streaming features alone and with
 * the fold-in correction ({@link StreamingFeatures#foldInCorrection}) added to its scores, against
 * a table fitted on the training window. Arguments: the fold-in ridges to try (default 5 20).
 */
public final class Ml100kFoldIn {
  private Ml100kFoldIn() {}

  public static void main(String[] args) {
    List<Rating> all = Ml100k.load().orElseThrow(() -> new IllegalStateException("no ML-100k"));
    Split split = Splits.byTime(all, 0.5, 0.6);
    StreamingFeatures definition = StreamingFeatures.DEFAULT;
    ModelConfig cfg =
        ModelConfig.defaults().toBuilder().numFeatures(StreamingFeatures.COUNT).build();
    RankingModel model =
        new Trainer()
            .train(
                split.train(),
                definition.pointInTime(all, split.train()),
                split.valid(),
                definition.pointInTime(all, split.valid()),
                cfg,
                TrainingListener.NONE);
    float[] scores =
        Metrics.predict(model, split.test(), definition.pointInTime(all, split.test()));
    float[] labels = Metrics.labels(split.test());
    System.out.printf(
        "ML-100k, %,d rows scored; model with the streaming features: prequential RMSE %.4f%n",
        labels.length, Metrics.rmse(scores, labels, labels.length));
    for (String arg : args.length == 0 ? new String[] {"5", "20"} : args) {
      float ridge = Float.parseFloat(arg);
      FoldInTable table = FoldInTable.fit(split.train(), 10, 5f, 15, ridge, 42L);
      double[] corrections = definition.foldInCorrections(all, split.test(), table);
      float[] corrected = new float[labels.length];
      for (int i = 0; i < labels.length; i++) {
        corrected[i] = scores[i] + (float) corrections[i];
      }
      System.out.printf(
          "  + fold-in correction (10-d table, ALS lambda 5, ridge %.0f): %.4f%n",
          ridge, Metrics.rmse(corrected, labels, labels.length));
    }
  }
}
