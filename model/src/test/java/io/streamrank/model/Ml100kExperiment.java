package io.streamrank.model;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tuning aid, not a test: trains on ML-100k with the defaults overridden by {@code key=value}
 * arguments (snake_case keys of {@link ModelConfig#toMap()}, plus {@code split=time|random}) and
 * prints the figures.
 */
public final class Ml100kExperiment {
  private Ml100kExperiment() {}

  public static void main(String[] args) {
    List<Rating> all = Ml100k.load().orElseThrow(() -> new IllegalStateException("no ML-100k"));
    Map<String, Object> overrides = new HashMap<>();
    String split = "time";
    for (String a : args) {
      String[] kv = a.split("=", 2);
      if (kv[0].equals("split")) {
        split = kv[1];
      } else if (kv[0].equals("hidden_layers")) {
        List<Integer> h = new java.util.ArrayList<>();
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
    ModelConfig cfg = ModelConfig.fromMap(overrides);
    Split s = split.equals("time") ? Splits.byTime(all) : Splits.random(all, 42L);
    long t0 = System.nanoTime();
    RankingModel model =
        new Trainer()
            .train(
                s.train(),
                s.valid(),
                cfg,
                (e, tr, va) -> {
                  System.out.printf(
                      "  epoch %d train %.4f valid %.4f  %.1fs%n",
                      e, tr, va, (System.nanoTime() - t0) / 1e9);
                  return true;
                });
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "%s split=%s valid=%.4f test=%.4f mae=%.4f ndcg=%.4f pop=%.4f time=%.1fs%n",
        cfg.toMap(),
        split,
        Metrics.rmse(model, s.valid()),
        Metrics.rmse(model, s.test()),
        Metrics.mae(model, s.test()),
        Metrics.ndcg10(model, s.test()),
        Metrics.popularityNdcg(s.train(), s.test(), 10),
        secs);
  }
}
