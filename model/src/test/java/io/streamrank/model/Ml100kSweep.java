package io.streamrank.model;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tuning aid, not a test: reads one configuration per stdin line ({@code key=value} pairs, keys of
 * {@link ModelConfig#toMap()}, {@code hidden_layers=64,32}) and prints time- and random-split
 * figures on ML-100k for each.
 */
public final class Ml100kSweep {
  private Ml100kSweep() {}

  public static void main(String[] args) throws IOException {
    List<Rating> all = Ml100k.load().orElseThrow(() -> new IllegalStateException("no ML-100k"));
    Split time = Splits.byTime(all);
    Split random = Splits.random(all, 42L);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      ModelConfig cfg = parse(line.trim().split("\\s+"));
      boolean streaming = cfg.numFeatures() == io.streamrank.model.features.StreamingFeatures.COUNT;
      StringBuilder sb = new StringBuilder(line.trim());
      for (Split s : List.of(time, random)) {
        long t0 = System.nanoTime();
        int[] epochs = {0};
        io.streamrank.model.features.StreamingFeatures sf =
            io.streamrank.model.features.StreamingFeatures.DEFAULT;
        float[][] trf = streaming ? sf.pointInTime(all, s.train()) : null;
        float[][] vaf = streaming ? sf.pointInTime(all, s.valid()) : null;
        float[][] tef = streaming ? sf.pointInTime(all, s.test()) : null;
        RankingModel m =
            new Trainer()
                .train(
                    s.train(),
                    trf,
                    s.valid(),
                    vaf,
                    cfg,
                    (e, tr, va) -> {
                      epochs[0] = e;
                      return true;
                    });
        double secs = (System.nanoTime() - t0) / 1e9;
        float[] pred = Metrics.predict(m, s.test(), tef);
        float[] y = Metrics.labels(s.test());
        double cold = 0;
        double coldSq = 0;
        double warmSq = 0;
        for (int i = 0; i < pred.length; i++) {
          double e = pred[i] - y[i];
          if (m.knowsUser(s.test().get(i).userId())) {
            warmSq += e * e;
          } else {
            cold++;
            coldSq += e * e;
          }
          pred[i] = Math.max(1f, Math.min(5f, pred[i]));
        }
        sb.append(
            String.format(
                " clip=%.4f cold=%.2f coldRmse=%.4f warmRmse=%.4f",
                Metrics.rmse(pred, y, y.length),
                cold / y.length,
                Math.sqrt(coldSq / Math.max(1, cold)),
                Math.sqrt(warmSq / Math.max(1, y.length - cold))));
        sb.append(
            String.format(
                " | %s test=%.4f valid=%.4f ndcg=%.4f ep=%d %.1fs",
                s == time ? "time" : "rand",
                Metrics.rmse(
                    Metrics.predict(m, s.test(), tef), Metrics.labels(s.test()), s.test().size()),
                Metrics.rmse(
                    Metrics.predict(m, s.valid(), vaf),
                    Metrics.labels(s.valid()),
                    s.valid().size()),
                Metrics.ndcg(s.test(), Metrics.predict(m, s.test(), tef), 10),
                epochs[0],
                secs));
      }
      System.out.println(sb);
    }
  }

  static ModelConfig parse(String[] args) {
    Map<String, Object> overrides = new HashMap<>();
    for (String a : args) {
      if (a.isEmpty()) {
        continue;
      }
      String[] kv = a.split("=", 2);
      if (kv[0].equals("hidden_layers")) {
        List<Integer> h = new ArrayList<>();
        for (String s : kv[1].split(",")) {
          if (!s.isEmpty()) {
            h.add(Integer.parseInt(s));
          }
        }
        overrides.put(kv[0], h);
      } else {
        overrides.put(kv[0], kv[1]);
      }
    }
    return ModelConfig.fromMap(overrides);
  }
}
