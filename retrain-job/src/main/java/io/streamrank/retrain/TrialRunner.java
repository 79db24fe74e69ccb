package io.streamrank.retrain;

import io.streamrank.datasets.Split;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.Trainer;
import java.util.ArrayList;
import java.util.List;

/** Trains one trial and records its learning curve. */
public final class TrialRunner {
  private TrialRunner() {}

  /**
   * Runs a trial on a split.
   *
   * @param base the configuration the trial's hyperparameters override
   * @param threads training threads for this trial
   */
  public static TrialResult run(
      TrialSpec spec, DataSpec.Loaded data, ModelConfig base, int threads) {
    Split split = data.split();
    ModelConfig cfg =
        SearchSpace.apply(base, spec.point()).toBuilder()
            .epochs(spec.budget())
            .threads(threads)
            .numFeatures(data.numFeatures())
            .build();
    List<Double> curve = new ArrayList<>();
    long start = System.nanoTime();
    new Trainer()
        .train(
            split.train(),
            data.trainFeatures(),
            split.valid(),
            data.validFeatures(),
            cfg,
            (epoch, trainRmse, validRmse) -> {
              curve.add(validRmse);
              return Double.isFinite(validRmse);
            });
    int best = 0;
    for (int i = 1; i < curve.size(); i++) {
      if (curve.get(i) < curve.get(best)) {
        best = i;
      }
    }
    double bestRmse = curve.isEmpty() ? Double.NaN : curve.get(best);
    return new TrialResult(
        spec.id(),
        spec.point(),
        spec.budget(),
        curve,
        bestRmse,
        best + 1,
        "completed",
        (System.nanoTime() - start) / 1e9,
        0);
  }
}
