package io.streamrank.retrain;

import io.streamrank.datasets.Rating;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.onnx.OnnxExporter;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.LoadedBundle;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.RetrainRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns a {@link RetrainRequest} into a new serving version, or a reason there is none: reads the
 * request's data window, tunes, trains the best configuration to completion, gates it against the
 * serving version (the champion) on the same test slice, publishes the bundle to the registry
 * (atomically) and only then announces it. Re-running a request is idempotent: its version name
 * comes from the request id, and a version already in the registry is announced again, not
 * retrained.
 */
public final class RetrainService implements AutoCloseable {
  /**
   * What a request led to.
   *
   * @param requestId the request
   * @param version the version trained for it
   * @param promoted whether it was published and announced
   * @param reason why (the gate's figures, or what went wrong)
   * @param candidateTestRmse the candidate's test RMSE on the window's test slice
   * @param championTestRmse the serving version's test RMSE on the same slice
   * @param seconds wall time
   */
  public record Outcome(
      String requestId,
      String version,
      boolean promoted,
      String reason,
      double candidateTestRmse,
      double championTestRmse,
      double seconds) {}

  /**
   * Service settings.
   *
   * @param data the data source; each request narrows it to its window
   * @param budget configurations per tuning run
   * @param algo search algorithm
   * @param pruner none or asha
   * @param margin how much better than the champion the candidate must be to be promoted
   * @param base configuration the tuner starts from (its epochs are the trial budget)
   */
  public record Settings(
      DataSpec data, int budget, String algo, String pruner, double margin, ModelConfig base) {}

  private final Settings settings;
  private final FlinkTrialExecutor executor;
  private final ModelRegistry registry;
  private final Announcer announcer;
  private final Consumer<String> log;

  public RetrainService(
      Settings settings,
      FlinkTrialExecutor executor,
      ModelRegistry registry,
      Announcer announcer,
      Consumer<String> log) {
    this.settings = settings;
    this.executor = executor;
    this.registry = registry;
    this.announcer = announcer;
    this.log = log;
  }

  /** Closes the announcer when it holds resources (a Kafka producer). */
  @Override
  public void close() throws Exception {
    if (announcer instanceof AutoCloseable c) {
      c.close();
    }
  }

  /** The version name a request produces. */
  public static String versionFor(RetrainRequest request) {
    return "r-" + request.getRequestId().replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** Handles one request end to end. */
  public Outcome handle(RetrainRequest request) throws Exception {
    long start = System.nanoTime();
    String version = versionFor(request);
    if (registry.versions().contains(version)) {
      LoadedBundle existing = registry.load(version);
      announcer.announce(ModelAnnouncer.announcement(existing.ref(), existing.manifest(), false));
      return new Outcome(
          request.getRequestId(),
          version,
          true,
          "already published; announced again",
          Double.NaN,
          Double.NaN,
          (System.nanoTime() - start) / 1e9);
    }
    DataSpec window =
        settings.data().window(request.getWindowStart() / 1000, request.getWindowEnd() / 1000);
    log.accept(
        "retrain "
            + request.getRequestId()
            + " ("
            + request.getReason()
            + "): tuning on "
            + window);
    Tuner.Outcome tuned =
        new Tuner(executor, SearchSpace.defaults(), settings.base(), log)
            .tune(window, settings.budget(), settings.algo(), settings.pruner(), 42);
    DataSpec.Loaded loaded = window.load();
    double champion = championRmse(request.getServingVersion(), loaded);
    double candidate = tuned.testRmse();
    boolean promote = !(champion <= candidate + settings.margin());
    String reason =
        String.format(
            "candidate test RMSE %.4f vs serving %s %.4f on the same %d rows (margin %.4f)",
            candidate,
            request.getServingVersion(),
            champion,
            loaded.split().test().size(),
            settings.margin());
    if (promote) {
      BundleRef ref = publish(version, request, tuned, loaded, window);
      announcer.announce(
          ModelAnnouncer.announcement(ref, registry.load(version).manifest(), false));
      log.accept("published and announced " + version + ": " + reason);
    } else {
      log.accept("not promoted: " + reason);
    }
    Outcome outcome =
        new Outcome(
            request.getRequestId(),
            version,
            promote,
            reason,
            candidate,
            champion,
            (System.nanoTime() - start) / 1e9);
    announcer.report(summary(request, outcome, tuned));
    return outcome;
  }

  /** The run's summary for {@code monitoring}: kind {@code retrain-run}. */
  private static MonitorReport summary(RetrainRequest request, Outcome o, Tuner.Outcome tuned) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("promoted", o.promoted() ? 1.0 : 0.0);
    m.put("candidate_test_rmse", o.candidateTestRmse());
    m.put("champion_test_rmse", o.championTestRmse());
    m.put("best_valid_rmse", tuned.best().bestValidRmse());
    m.put("default_valid_rmse", tuned.defaultValidRmse());
    m.put("trials", (double) tuned.trials().size());
    m.put("seconds", o.seconds());
    m.values().removeIf(v -> !Double.isFinite(v));
    return MonitorReport.newBuilder()
        .setWindowStart(request.getWindowStart())
        .setWindowEnd(request.getWindowEnd())
        .setModelVersion(o.version())
        .setKind("retrain-run")
        .setMetrics(m)
        .setMessage((o.promoted() ? "promoted: " : "not promoted: ") + o.reason())
        .build();
  }

  /** The serving version's RMSE on the window's test slice, NaN when it cannot be scored. */
  private double championRmse(String servingVersion, DataSpec.Loaded data) throws Exception {
    if (servingVersion == null || !registry.versions().contains(servingVersion)) {
      return Double.NaN;
    }
    LoadedBundle champion = registry.load(servingVersion);
    List<Rating> test = data.split().test();
    try (OnnxScorer scorer =
        OnnxScorer.open(champion.onnx(), new ScorerOptions(Device.CPU, 1, 1024))) {
      int f = scorer.numFeatures();
      if (f > 0 && data.testFeatures() == null) {
        float[][] features =
            io.streamrank.model.features.StreamingFeatures.DEFAULT.pointInTime(window(data), test);
        return rmse(scorer, test, features, f);
      }
      return rmse(scorer, test, f > 0 ? data.testFeatures() : null, f);
    }
  }

  private static List<Rating> window(DataSpec.Loaded data) {
    List<Rating> all = new ArrayList<>(data.split().train());
    all.addAll(data.split().valid());
    all.addAll(data.split().test());
    return all;
  }

  private static double rmse(OnnxScorer scorer, List<Rating> rows, float[][] features, int f) {
    int batch = 1024;
    long[] u = new long[batch];
    long[] m = new long[batch];
    float[] x = f > 0 ? new float[batch * f] : null;
    float[] out = new float[batch];
    double sum = 0;
    for (int from = 0; from < rows.size(); from += batch) {
      int n = Math.min(batch, rows.size() - from);
      for (int i = 0; i < n; i++) {
        Rating r = rows.get(from + i);
        u[i] = r.userId();
        m[i] = r.movieId();
        if (f > 0) {
          System.arraycopy(features[from + i], 0, x, i * f, f);
        }
      }
      scorer.score(u, m, x, n, out);
      for (int i = 0; i < n; i++) {
        double d = out[i] - rows.get(from + i).rating();
        sum += d * d;
      }
    }
    return Math.sqrt(sum / rows.size());
  }

  /** The rows the refit model trained on: train and valid. */
  private static List<Rating> trainedRows(DataSpec.Loaded loaded) {
    List<Rating> rows = new ArrayList<>(loaded.split().train());
    rows.addAll(loaded.split().valid());
    return rows;
  }

  private BundleRef publish(
      String version,
      RetrainRequest request,
      Tuner.Outcome tuned,
      DataSpec.Loaded loaded,
      DataSpec window)
      throws Exception {
    RankingModel model = tuned.model();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("retrain_request", request.getRequestId());
    meta.put("reason", request.getReason());
    byte[] onnx = new OnnxExporter().export(model, version, meta);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("valid_rmse", tuned.best().bestValidRmse());
    metrics.put("test_rmse", tuned.testRmse());
    metrics.put("default_valid_rmse", tuned.defaultValidRmse());
    long min = loaded.split().train().stream().mapToLong(Rating::timestamp).min().orElse(0);
    long max = loaded.split().valid().stream().mapToLong(Rating::timestamp).max().orElse(min);
    // Golden rows come from the test slice: the refit model trained on train+valid.
    Manifest manifest =
        Bundles.manifest(
            model,
            onnx,
            version,
            request.getServingVersion(),
            Manifest.DataWindow.ofEpochSeconds(min, max),
            metrics,
            loaded.split().test(),
            loaded.testFeatures(),
            loaded.numFeatures() > 0
                ? io.streamrank.model.features.StreamingFeatures.DEFAULT.toMap()
                : null,
            trainedRows(loaded));
    return registry.publish(onnx, manifest);
  }
}
