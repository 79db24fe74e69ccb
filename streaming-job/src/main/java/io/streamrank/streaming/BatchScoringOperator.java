package io.streamrank.streaming;

import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores events in micro-batches and hot-swaps model versions announced on the second input. Each
 * request carries its streaming features (none when the job runs without them), which go to the
 * model with the ids, and its fold-in correction ({@link ScoringRequest#correction}, 0 without a
 * fold-in table), which is added to the served and to the shadow score.
 *
 * <p>Batching: a batch goes to the model when it is full or when its oldest event has waited the
 * flush interval. The buffer is emptied before every checkpoint barrier and at end of input, so it
 * never needs to be in state and no event is lost on restore: an event is either scored before the
 * checkpoint or replayed from the source after it.
 *
 * <p>Hot swap: an announcement newer than the serving version (or an explicit rollback) is loaded
 * and verified on a background thread, never blocking scoring. When it is ready and passes the gate
 * (not worse than the serving version on the candidate's labelled gate rows beyond the margin), the
 * pending batch is scored by the old version, the new one takes over, and the old one is closed.
 * Rejections and swaps are reported on the {@link #MONITORING} side output. The serving version is
 * kept in broadcast state, so a restored job reloads and re-verifies the same version.
 *
 * <p>Shadow mode: an announcement with {@code shadow} set is loaded and gated the same way, but
 * instead of serving it becomes a {@link ShadowTrial}: every batch is also scored by the candidate,
 * whose score and version ride on the predictions beside the serving ones. The shadow evaluator
 * downstream decides, and its {@code promote} or {@code drop} record comes back on the same
 * announcement channel: a promotion swaps the candidate in between batches, a drop closes it. The
 * trial's announcement is kept in broadcast state too, so a restored job resumes the trial.
 */
public final class BatchScoringOperator extends AbstractStreamOperator<Prediction>
    implements TwoInputStreamOperator<ScoringRequest, ModelUpdate, Prediction>,
        ProcessingTimeCallback {
  private static final long serialVersionUID = 1L;

  /**
   * This class's own logger: the inherited {@code AbstractStreamOperator.LOG} is named for Flink's
   * package, whose INFO lines (swaps, rejections, restores) a streamrank log set-up filters out.
   */
  private static final Logger LOG = LoggerFactory.getLogger(BatchScoringOperator.class);

  /** Swap and rejection reports. */
  public static final OutputTag<MonitorReport> MONITORING =
      new OutputTag<>("model-reports", new AvroTypeInfo<>(MonitorReport.class));

  /** Broadcast state: the serving version's announcement under {@link #ACTIVE}. */
  static final MapStateDescriptor<String, ModelUpdate> SERVING_STATE =
      new MapStateDescriptor<>(
          "serving-model", BasicTypeInfo.STRING_TYPE_INFO, new AvroTypeInfo<>(ModelUpdate.class));

  static final String ACTIVE = "active";

  /** Key of the candidate in a shadow trial in {@link #SERVING_STATE}. */
  static final String SHADOW = "shadow";

  private static final long SWAP_POLL_MS = 20;

  private final ModelProvider modelProvider;
  private final int batchSize;
  private final long flushIntervalMs;
  private final double gateMargin;

  private transient ScoringModel model;
  private transient ShadowTrial shadow;
  private transient BroadcastState<String, ModelUpdate> servingState;
  private transient Event[] pending;
  private transient long[] ingestTimes;
  private transient long[] users;
  private transient long[] movies;
  private transient float[] features;
  private transient float[] corrections;
  private transient float[] scores;
  private transient int size;
  private transient boolean flushTimerSet;
  private transient boolean pollTimerSet;
  private transient ExecutorService loader;
  private transient CompletableFuture<ScoringModel> loading;
  private transient ModelUpdate loadingUpdate;
  private transient ArrayDeque<ModelUpdate> queued;
  private transient Counter batches;
  private transient Counter predictions;
  private transient Counter swaps;
  private transient Counter rejections;
  private transient Counter shadowPredictions;
  private transient Histogram batchLatency;
  private transient Histogram batchSizes;

  /**
   * @param modelProvider opens the initial version and announced ones
   * @param batchSize largest micro-batch
   * @param flushIntervalMs longest wait for a batch to fill
   * @param gateMargin how much higher a candidate's RMSE on its gate rows may be than the serving
   *     version's before it is rejected
   */
  public BatchScoringOperator(
      ModelProvider modelProvider, int batchSize, long flushIntervalMs, double gateMargin) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
    }
    if (flushIntervalMs <= 0) {
      throw new IllegalArgumentException("flush interval must be > 0 ms, got " + flushIntervalMs);
    }
    if (!(gateMargin >= 0)) {
      throw new IllegalArgumentException("gate margin must be >= 0, got " + gateMargin);
    }
    this.modelProvider = modelProvider;
    this.batchSize = batchSize;
    this.flushIntervalMs = flushIntervalMs;
    this.gateMargin = gateMargin;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    servingState = context.getOperatorStateStore().getBroadcastState(SERVING_STATE);
  }

  @Override
  public void open() throws Exception {
    super.open();
    pending = new Event[batchSize];
    ingestTimes = new long[batchSize];
    users = new long[batchSize];
    movies = new long[batchSize];
    features = new float[batchSize * StreamingFeatures.COUNT];
    corrections = new float[batchSize];
    scores = new float[batchSize];
    queued = new ArrayDeque<>();
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    loader =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "streamrank-model-loader-" + subtask);
              t.setDaemon(true);
              return t;
            });
    ModelUpdate restored = servingState.get(ACTIVE);
    if (restored != null) {
      // Restore: serve exactly the version of the checkpoint, reloaded and re-verified.
      model = modelProvider.open(restored, batchSize);
      LOG.info("Restored model version {} from checkpoint", model.version());
    } else {
      model = modelProvider.openInitial(batchSize);
      servingState.put(ACTIVE, announcementOf(model));
    }
    ModelUpdate trial = servingState.get(SHADOW);
    if (trial != null) {
      resumeTrial(trial);
    }
    batches = getMetricGroup().counter("scoringBatches");
    predictions = getMetricGroup().counter("predictions");
    swaps = getMetricGroup().counter("modelSwaps");
    rejections = getMetricGroup().counter("modelRejections");
    shadowPredictions = getMetricGroup().counter("shadowPredictions");
    getMetricGroup().gauge("shadowTrialRunning", () -> shadow == null ? 0 : 1);
    batchLatency =
        getMetricGroup().histogram("batchLatencyMicros", new DescriptiveStatisticsHistogram(1000));
    batchSizes = getMetricGroup().histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    getMetricGroup()
        .gauge("servingModelCreatedAt", () -> model == null ? 0 : model.createdAtMillis());
    LOG.info("Scoring with model version {}, batch size {}", model.version(), batchSize);
  }

  @Override
  public void processElement1(StreamRecord<ScoringRequest> element) throws Exception {
    if (loading != null && loading.isDone()) {
      completeLoad();
    }
    ScoringRequest request = element.getValue();
    Event e = request.event;
    float[] f = request.features;
    System.arraycopy(f, 0, features, size * f.length, f.length);
    corrections[size] = request.correction;
    pending[size] = e;
    ingestTimes[size] = getProcessingTimeService().getCurrentProcessingTime();
    users[size] = e.getUserId();
    movies[size] = e.getMovieId();
    size++;
    if (size == batchSize) {
      flush();
    } else if (!flushTimerSet) {
      flushTimerSet = true;
      getProcessingTimeService().registerTimer(ingestTimes[size - 1] + flushIntervalMs, this);
    }
  }

  @Override
  public void processElement2(StreamRecord<ModelUpdate> element) throws Exception {
    ModelUpdate update = element.getValue();
    String ignored = ShadowTrial.isDecision(update) ? null : whyIgnore(update);
    if (ignored != null) {
      LOG.info("Ignoring announcement of {}: {}", update.getVersion(), ignored);
      return;
    }
    queued.add(update);
    startNextLoad();
  }

  /** Reopens the candidate of a trial that was running at the checkpoint. */
  private void resumeTrial(ModelUpdate trial) {
    try {
      shadow = new ShadowTrial(trial, modelProvider.open(trial, batchSize), batchSize);
      LOG.info("Resumed shadow trial of {} from checkpoint", trial.getVersion());
    } catch (Exception e) {
      forgetTrial();
      LOG.warn("Shadow trial of {} not resumed", trial.getVersion(), e);
      report("shadow-drop", trial.getVersion(), "not resumed after restore: " + e, Map.of());
    }
  }

  /**
   * Applies a trial's decision, in announcement order. Returns false for a promotion of a version
   * this instance is not trialling (a fresh start that reads only the compacted decision, say): the
   * caller then loads it as an ordinary announcement, through every gate.
   */
  private boolean applyDecision(ModelUpdate decision) throws Exception {
    String v = decision.getVersion();
    boolean trialled = shadow != null && shadow.version().equals(v);
    if (ShadowTrial.PROMOTE.equals(decision.getDecision())) {
      if (!trialled) {
        return false;
      }
      flush(); // the batch so far belongs to the old version
      ScoringModel old = model;
      model = shadow.model();
      servingState.put(ACTIVE, shadow.asServing());
      forgetTrial();
      shadow = null;
      old.close();
      swaps.inc();
      LOG.info("Promoted shadow version {}, replacing {}", v, old.version());
      report("swap", v, "promoted from shadow, replaced " + old.version(), Map.of());
    } else if (trialled) {
      flush(); // predictions so far carry the candidate's scores
      shadow.close();
      shadow = null;
      forgetTrial();
      LOG.info("Shadow trial of {} ended: {}", v, decision.getDecision());
    }
    return true;
  }

  /** Returns why an announcement needs no load, or null when it should be loaded. */
  private String whyIgnore(ModelUpdate update) {
    String v = update.getVersion();
    if (v.equals(model.version())) {
      return "already serving it";
    }
    if (loadingUpdate != null && v.equals(loadingUpdate.getVersion())) {
      return "already loading it";
    }
    if (shadow != null && v.equals(shadow.version())) {
      return "already in a shadow trial";
    }
    if (!update.getRollback() && update.getCreatedAt() <= model.createdAtMillis()) {
      return "not newer than the serving version " + model.version() + " and not a rollback";
    }
    return null;
  }

  private void startNextLoad() throws Exception {
    if (loading != null || queued.isEmpty()) {
      return;
    }
    ModelUpdate update = queued.poll();
    if (ShadowTrial.isDecision(update) && applyDecision(update)) {
      startNextLoad();
      return;
    }
    String ignored = whyIgnore(update);
    if (ignored != null) {
      LOG.info("Ignoring announcement of {}: {}", update.getVersion(), ignored);
      startNextLoad();
      return;
    }
    loadingUpdate = update;
    ScoringModel serving = model;
    loading =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                long started = System.nanoTime();
                ScoringModel candidate = modelProvider.open(update, batchSize);
                long opened = System.nanoTime();
                try {
                  gate(candidate, serving);
                  long done = System.nanoTime();
                  LOG.info(
                      "Loaded and checked version {} off the scoring thread in {} ms (gate {} ms)",
                      update.getVersion(),
                      (done - started) / 1_000_000,
                      (done - opened) / 1_000_000);
                  return candidate;
                } catch (ModelRejectedException e) {
                  candidate.close();
                  throw e;
                }
              } catch (RuntimeException e) {
                throw e;
              } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            },
            loader);
    schedulePoll();
  }

  /** Rejects a candidate that is worse than the serving version beyond the margin. */
  private void gate(ScoringModel candidate, ScoringModel serving) throws ModelRejectedException {
    GateRows rows = candidate.gateRows();
    if (rows.size() == 0) {
      return;
    }
    double candidateRmse = rows.rmse(candidate, batchSize);
    double servingRmse = rows.rmse(serving, batchSize);
    if (!Double.isFinite(candidateRmse)) {
      throw new ModelRejectedException(
          "gate: non-finite RMSE " + candidateRmse + " on " + rows.size() + " gate rows");
    }
    if (candidateRmse > servingRmse + gateMargin) {
      throw new ModelRejectedException(
          String.format(
              "gate: RMSE %.4f on %d gate rows is worse than serving %s's %.4f by more than the"
                  + " margin %.4f",
              candidateRmse, rows.size(), serving.version(), servingRmse, gateMargin));
    }
  }

  private void schedulePoll() {
    if (!pollTimerSet) {
      pollTimerSet = true;
      long now = getProcessingTimeService().getCurrentProcessingTime();
      getProcessingTimeService().registerTimer(now + SWAP_POLL_MS, this::onPoll);
    }
  }

  private void onPoll(long time) throws Exception {
    pollTimerSet = false;
    if (loading == null) {
      return;
    }
    if (loading.isDone()) {
      completeLoad();
    } else {
      schedulePoll();
    }
  }

  /** Swaps in a loaded candidate, or reports why it was rejected. Runs on the task thread. */
  private void completeLoad() throws Exception {
    ModelUpdate update = loadingUpdate;
    ScoringModel candidate = null;
    String reason = null;
    try {
      candidate = loading.join();
    } catch (java.util.concurrent.CompletionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      reason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
    loading = null;
    loadingUpdate = null;
    if (candidate == null) {
      rejections.inc();
      LOG.warn("Rejected model version {}: {}", update.getVersion(), reason);
      report("rejection", update.getVersion(), reason, Map.of());
    } else if (ShadowTrial.isTrialRequest(update)) {
      startTrial(update, candidate);
    } else {
      flush(); // the batch so far belongs to the old version
      ScoringModel old = model;
      model = candidate;
      servingState.put(ACTIVE, update);
      old.close();
      swaps.inc();
      LOG.info("Swapped model version {} -> {}", old.version(), candidate.version());
      report(
          "swap",
          candidate.version(),
          "replaced " + old.version() + (update.getRollback() ? " (rollback)" : ""),
          Map.of());
    }
    startNextLoad();
  }

  /** Removes the trial from the serving state (heap broadcast state: never fails in practice). */
  private void forgetTrial() {
    try {
      servingState.remove(SHADOW);
    } catch (Exception e) {
      throw new IllegalStateException("cannot remove the shadow trial from broadcast state", e);
    }
  }

  /** Makes a gated candidate the shadow of the serving version; a running trial is superseded. */
  private void startTrial(ModelUpdate update, ScoringModel candidate) throws Exception {
    flush(); // the batch so far has no shadow score, or the superseded one's
    if (shadow != null) {
      LOG.info("Shadow trial of {} superseded by {}", shadow.version(), update.getVersion());
      shadow.close();
    }
    shadow = new ShadowTrial(update, candidate, batchSize);
    servingState.put(SHADOW, update);
    LOG.info("Shadow trial of {} beside {}", candidate.version(), model.version());
  }

  private void report(String kind, String version, String message, Map<String, Double> metrics) {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    Map<String, Double> m = new HashMap<>(metrics);
    m.put("subtask", (double) getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
    output.collect(
        MONITORING,
        new StreamRecord<>(
            MonitorReport.newBuilder()
                .setWindowStart(now)
                .setWindowEnd(now)
                .setModelVersion(version)
                .setKind(kind)
                .setMetrics(m)
                .setMessage(message)
                .build()));
  }

  private static ModelUpdate announcementOf(ScoringModel m) {
    return ModelUpdate.newBuilder()
        .setVersion(m.version())
        .setBundleUri(m.bundleUri())
        .setSha256(m.sha256())
        .setCreatedAt(m.createdAtMillis())
        .setRollback(false)
        .build();
  }

  @Override
  public void onProcessingTime(long time) {
    flushTimerSet = false;
    flush();
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    flush();
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      if (loader != null) {
        loader.shutdownNow();
      }
      if (loading != null) {
        // A candidate still loading is closed once it is ready; nobody else will.
        loading.thenAccept(ScoringModel::close);
        loading = null;
      }
      if (model != null) {
        model.close();
        model = null;
      }
      if (shadow != null) {
        shadow.close();
        shadow = null;
      }
    } finally {
      super.close();
    }
  }

  /** Number of events waiting for their batch; for tests. */
  int pendingCount() {
    return size;
  }

  /** The version serving now; for tests. */
  String servingVersion() {
    return model.version();
  }

  /** The version in a shadow trial, or null; for tests. */
  String shadowVersion() {
    return shadow == null ? null : shadow.version();
  }

  /** True while an announced version is loading; for tests. */
  boolean isLoading() {
    return loading != null;
  }

  private void flush() {
    if (size == 0) {
      return;
    }
    int n = size;
    long started = System.nanoTime();
    model.score(users, movies, features, n, scores);
    batchLatency.update((System.nanoTime() - started) / 1000);
    batchSizes.update(n);
    float[] shadowScores = scoreShadow(n);
    long scoredAt = getProcessingTimeService().getCurrentProcessingTime();
    String version = model.version();
    String shadowVersion = shadowScores == null ? null : shadow.version();
    for (int i = 0; i < n; i++) {
      Event e = pending[i];
      pending[i] = null;
      // Every field set here, so the record's setters do what the builder's would, without a
      // builder, its field flags and per-field checks per prediction.
      Prediction p = new Prediction();
      p.setEventId(e.getEventId());
      p.setUserId(e.getUserId());
      p.setMovieId(e.getMovieId());
      p.setEventTimestamp(e.getTimestamp());
      p.setScore(scores[i] + corrections[i]);
      p.setModelVersion(version);
      p.setIngestTime(ingestTimes[i]);
      p.setScoredTime(scoredAt);
      p.setUserKnown(model.knowsUser(e.getUserId()));
      p.setMovieKnown(model.knowsMovie(e.getMovieId()));
      p.setShadowVersion(shadowVersion);
      p.setShadowScore(shadowScores == null ? null : shadowScores[i] + corrections[i]);
      output.collect(new StreamRecord<>(p));
    }
    size = 0;
    batches.inc();
    predictions.inc(n);
  }

  /**
   * Scores the batch with the shadow candidate, or returns null when there is none. A candidate
   * that fails to score ends its own trial here and never fails the job.
   */
  private float[] scoreShadow(int n) {
    if (shadow == null) {
      return null;
    }
    try {
      float[] s = shadow.score(users, movies, n);
      shadowPredictions.inc(n);
      return s;
    } catch (RuntimeException e) {
      String v = shadow.version();
      LOG.warn("Shadow version {} failed to score; trial ended", v, e);
      shadow.close();
      shadow = null;
      forgetTrial();
      report("shadow-drop", v, "failed to score: " + e.getMessage(), Map.of());
      return null;
    }
  }
}
