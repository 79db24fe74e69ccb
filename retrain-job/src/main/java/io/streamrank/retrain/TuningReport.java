package io.streamrank.retrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a tuning run's report: {@code tuning.json} (best hyperparameters, validation and test
 * RMSE, the defaults' validation RMSE on the same split, every trial with its curve and status,
 * wall time) and {@code learning_curves.svg} (validation RMSE per epoch of every trial, best
 * highlighted, like the seed tutorial's learning-rate figure).
 */
public final class TuningReport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TuningReport() {}

  /** The report as a map with the documented keys. */
  public static Map<String, Object> toMap(
      Tuner.Outcome o, DataSpec data, int budget, String algo, String pruner) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("best", o.best().point());
    m.put("best_trial", o.best().id());
    m.put("best_epochs", o.best().bestEpoch());
    m.put("best_valid_rmse", o.best().bestValidRmse());
    m.put("test_rmse", o.testRmse());
    m.put("default_valid_rmse", o.defaultValidRmse());
    m.put("default_test_rmse", o.defaultTestRmse());
    if (Double.isFinite(o.defaultFeaturesValidRmse())) {
      m.put("default_features_valid_rmse", o.defaultFeaturesValidRmse());
    }
    m.put(
        "valid_improvement_over_defaults",
        (o.defaultValidRmse() - o.best().bestValidRmse()) / o.defaultValidRmse());
    m.put("budget", budget);
    m.put("algo", algo);
    m.put("pruner", pruner);
    m.put("data", data);
    m.put("trials", o.trials());
    m.put("epochs_trained", o.trials().stream().mapToInt(TrialResult::epochsTrained).sum());
    m.put("progress", progress(o.trials()));
    m.put("session_start_seconds", o.sessionSeconds());
    m.put("search_seconds", o.searchSeconds());
    m.put("wall_seconds", o.wallSeconds());
    return m;
  }

  /**
   * The best validation RMSE found so far after each trial, in the order the tuner had them: {@code
   * seconds} after the search started, {@code best_valid_rmse}.
   */
  static List<Map<String, Double>> progress(List<TrialResult> trials) {
    List<TrialResult> byTime =
        trials.stream()
            .sorted(java.util.Comparator.comparingDouble(TrialResult::finishedSeconds))
            .toList();
    List<Map<String, Double>> out = new java.util.ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    for (TrialResult t : byTime) {
      if (Double.isFinite(t.bestValidRmse())) {
        best = Math.min(best, t.bestValidRmse());
      }
      Map<String, Double> p = new LinkedHashMap<>();
      p.put("seconds", t.finishedSeconds());
      p.put("best_valid_rmse", best);
      out.add(p);
    }
    return out;
  }

  /** Writes {@code tuning.json} and {@code learning_curves.svg} into {@code dir}. */
  public static void write(Path dir, Map<String, Object> report, Tuner.Outcome o)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("tuning.json"), JSON.writeValueAsString(report));
    Files.writeString(dir.resolve("learning_curves.svg"), svg(o.trials(), o.best().id()));
  }

  /** A line chart of every trial's validation curve. */
  static String svg(List<TrialResult> trials, String bestId) {
    int w = 720;
    int h = 420;
    int left = 60;
    int right = 20;
    int top = 30;
    int bottom = 50;
    int maxEpochs = trials.stream().mapToInt(t -> t.curve().size()).max().orElse(1);
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (TrialResult t : trials) {
      for (double v : t.curve()) {
        if (Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
            w,
            h));
    s.append(
        String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"18\" font-size=\"14\">Validation RMSE per epoch, %d trials (best: %s)</text>%n",
            left,
            trials.size(),
            bestId));
    int pw = w - left - right;
    int ph = h - top - bottom;
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
            left,
            top + ph,
            left + pw,
            top + ph,
            left,
            top,
            left,
            top + ph));
    for (int k = 0; k <= 4; k++) {
      double v = lo + (hi - lo) * k / 4;
      int y = top + ph - (int) (ph * k / 4.0);
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f</text>%n",
              left - 6,
              y + 4,
              v));
    }
    for (int e = 1; e <= maxEpochs; e++) {
      int x = left + (maxEpochs == 1 ? pw / 2 : (int) ((e - 1) * pw / (double) (maxEpochs - 1)));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>%n",
              x,
              top + ph + 16,
              e));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>%n",
            left + pw / 2,
            h - 10));
    for (TrialResult t : trials) {
      StringBuilder pts = new StringBuilder();
      for (int e = 0; e < t.curve().size(); e++) {
        double v = t.curve().get(e);
        if (!Double.isFinite(v)) {
          continue;
        }
        int x = left + (maxEpochs == 1 ? pw / 2 : (int) (e * pw / (double) (maxEpochs - 1)));
        int y = top + ph - (int) (ph * (v - lo) / (hi - lo));
        pts.append(x).append(',').append(y).append(' ');
      }
      boolean best = t.id().equals(bestId);
      String colour = best ? "#d62728" : t.status().equals("pruned") ? "#bbbbbb" : "#1f77b4";
      s.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"%s\"><title>%s %s</title></polyline>%n",
              colour,
              best ? "2.5" : "1",
              pts.toString().strip(),
              t.id(),
              t.point()));
    }
    s.append("</svg>\n");
    return s.toString();
  }
}
