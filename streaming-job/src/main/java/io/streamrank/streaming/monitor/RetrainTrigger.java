package io.streamrank.streaming.monitor;

import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.RetrainRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Turns window reports into at most one open {@link RetrainRequest}, following a {@link
 * TriggerPolicy}. Runs with parallelism 1 under a single key, so "one open request" holds for the
 * whole job. Reads the monitors' {@code drift} and {@code error} reports and the scoring operator's
 * {@code swap} reports (which close the open request and start the cooldown); reports of versions
 * other than the serving one are ignored. Every request also goes out as a {@code retrain} report
 * on {@link #REPORTS}.
 *
 * <p>Window reports come on different edges (drift from the predictions, error from the
 * prediction–rating join), so they arrive in no fixed order. They wait here until the watermark
 * passes their window, and all reports of one window are applied before the trigger decides: a
 * drift report that outruns the error report carrying its window's labels cannot be judged short of
 * labels. A report that arrives behind the watermark is applied at once. Swap reports are applied
 * on arrival; the stream they come on is marked idle ({@link Monitors}) and holds back no window.
 * With a schedule, a request also goes out when the schedule's event time has passed since the
 * serving version started (or since the last request); it asks for every rating up to its end.
 */
public final class RetrainTrigger
    extends KeyedProcessFunction<String, MonitorReport, RetrainRequest> {
  private static final long serialVersionUID = 1L;

  /** The single key all reports are sent under. */
  public static final String KEY = "trigger";

  /** {@code retrain} reports, one per request. */
  public static final OutputTag<MonitorReport> REPORTS =
      new OutputTag<>("retrain-reports", new AvroTypeInfo<>(MonitorReport.class));

  private static final String SWAP = "swap";

  private final TriggerPolicy policy;

  private transient ValueState<String> serving;
  private transient ValueState<RetrainRequest> open;
  private transient ValueState<Long> newLabels;
  private transient ValueState<Long> cooldownUntil;
  private transient ValueState<Long> latestWindowEnd;

  /** Event time the schedule counts from: the serving version's start or the last request. */
  private transient ValueState<Long> scheduleFrom;

  /** Per signal: consecutive breaching windows, and the start of the first of them. */
  private transient MapState<String, long[]> streaks;

  /** Per signal: its figure in the latest window it breached, for the reason. */
  private transient MapState<String, Double> lastValues;

  /** Window reports waiting for the watermark, by timestamp (their window's last millisecond). */
  private transient MapState<Long, List<MonitorReport>> waiting;

  private transient Counter requests;
  private transient volatile boolean requestOpen;

  public RetrainTrigger(TriggerPolicy policy) {
    this.policy = policy;
  }

  @Override
  public void open(OpenContext openContext) {
    var ctx = getRuntimeContext();
    serving = ctx.getState(new ValueStateDescriptor<>("serving", Types.STRING));
    open =
        ctx.getState(
            new ValueStateDescriptor<>("open-request", new AvroTypeInfo<>(RetrainRequest.class)));
    newLabels = ctx.getState(new ValueStateDescriptor<>("new-labels", Types.LONG));
    cooldownUntil = ctx.getState(new ValueStateDescriptor<>("cooldown-until", Types.LONG));
    latestWindowEnd = ctx.getState(new ValueStateDescriptor<>("latest-window-end", Types.LONG));
    scheduleFrom = ctx.getState(new ValueStateDescriptor<>("schedule-from", Types.LONG));
    streaks =
        ctx.getMapState(
            new MapStateDescriptor<>(
                "streaks", Types.STRING, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    lastValues =
        ctx.getMapState(new MapStateDescriptor<>("last-values", Types.STRING, Types.DOUBLE));
    waiting =
        ctx.getMapState(
            new MapStateDescriptor<>(
                "waiting", Types.LONG, Types.LIST(new AvroTypeInfo<>(MonitorReport.class))));
    var group = ctx.getMetricGroup().addGroup("monitor", "trigger");
    requests = group.counter("retrainRequests");
    group.gauge("openRequest", (Gauge<Integer>) () -> requestOpen ? 1 : 0);
  }

  @Override
  public void processElement(MonitorReport report, Context ctx, Collector<RetrainRequest> out)
      throws Exception {
    String version = report.getModelVersion();
    if (SWAP.equals(report.getKind())) {
      if (!version.equals(serving.value())) {
        serving.update(version);
        open.clear();
        requestOpen = false;
        newLabels.clear();
        streaks.clear();
        lastValues.clear();
        cooldownUntil.update(orZero(latestWindowEnd.value()) + policy.cooldownMs());
        scheduleFrom.update(orZero(latestWindowEnd.value()));
      }
      return;
    }
    if (!PredictionDrift.KIND.equals(report.getKind())
        && !PrequentialError.KIND.equals(report.getKind())) {
      return;
    }
    if (LabelOutcome.NO_VERSION.equals(version)) {
      // Ratings no prediction matched (history sent before the stream, for one) belong to no
      // version: taking that for the serving version would ignore every real report after it.
      return;
    }
    if (serving.value() == null || version.equals(serving.value())) {
      // Counted on arrival, so a swap that comes before the window is applied still starts its
      // cooldown after every window the old version was seen to finish.
      latestWindowEnd.update(Math.max(report.getWindowEnd(), orZero(latestWindowEnd.value())));
    }
    Long timestamp = ctx.timestamp();
    if (timestamp == null || timestamp <= ctx.timerService().currentWatermark()) {
      apply(List.of(report), ctx, out);
      return;
    }
    List<MonitorReport> reports = waiting.get(timestamp);
    if (reports == null) {
      reports = new ArrayList<>();
      ctx.timerService().registerEventTimeTimer(timestamp);
    }
    reports.add(report);
    waiting.put(timestamp, reports);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<RetrainRequest> out)
      throws Exception {
    List<MonitorReport> reports = waiting.get(timestamp);
    if (reports != null) {
      waiting.remove(timestamp);
      apply(reports, ctx, out);
    }
  }

  /** Applies the reports of one window (or one late report), then decides once. */
  private void apply(List<MonitorReport> reports, Context ctx, Collector<RetrainRequest> out)
      throws Exception {
    long windowEnd = Long.MIN_VALUE;
    for (MonitorReport report : reports) {
      String version = report.getModelVersion();
      if (serving.value() == null) {
        serving.update(version);
      }
      if (!version.equals(serving.value())) {
        continue;
      }
      windowEnd = Math.max(windowEnd, report.getWindowEnd());
      if (scheduleFrom.value() == null) {
        scheduleFrom.update(report.getWindowStart());
      }
      Map<String, Double> m = report.getMetrics();
      double labelled = m.getOrDefault("labelled", 0.0);
      if (PrequentialError.KIND.equals(report.getKind())) {
        newLabels.update(orZero(newLabels.value()) + (long) labelled);
      }
      for (TriggerPolicy.Signal s : policy.signals()) {
        if (s.kind().equals(report.getKind())) {
          update(s, m, labelled, report.getWindowStart());
        }
      }
    }
    if (windowEnd != Long.MIN_VALUE) {
      maybeRequest(windowEnd, ctx, out);
    }
  }

  private void update(TriggerPolicy.Signal s, Map<String, Double> m, double labelled, long start)
      throws Exception {
    Double value = m.get(s.metric());
    if (value == null
        || value.isNaN()
        || (s.needsLabels() && labelled < policy.minLabelsPerWindow())) {
      return; // no evidence either way
    }
    if (value > s.threshold()) {
      long[] streak = streaks.get(s.metric());
      streaks.put(
          s.metric(),
          streak == null ? new long[] {1, start} : new long[] {streak[0] + 1, streak[1]});
      lastValues.put(s.metric(), value);
    } else {
      streaks.remove(s.metric());
    }
  }

  private void maybeRequest(long windowEnd, Context ctx, Collector<RetrainRequest> out)
      throws Exception {
    RetrainRequest pending = open.value();
    if (pending != null && windowEnd < pending.getWindowEnd() + policy.requestTimeoutMs()) {
      return;
    }
    if (windowEnd < orZero(cooldownUntil.value())) {
      return;
    }
    if (orZero(newLabels.value()) < policy.minNewLabels()) {
      return;
    }
    List<String> reasons = new ArrayList<>();
    long dataStart = Long.MAX_VALUE;
    for (TriggerPolicy.Signal s : policy.signals()) {
      long[] streak = streaks.get(s.metric());
      if (streak != null && streak[0] >= policy.windows()) {
        reasons.add(
            String.format(
                Locale.ROOT,
                "%s %.4f > %.4f for %d windows",
                s.metric(),
                lastValues.get(s.metric()),
                s.threshold(),
                streak[0]));
        dataStart = Math.min(dataStart, streak[1]);
      }
    }
    long since = orZero(scheduleFrom.value());
    if (policy.scheduleMs() > 0 && windowEnd >= since + policy.scheduleMs()) {
      reasons.add(
          String.format(
              Locale.ROOT,
              "schedule: %.1f days of event time since %d",
              (windowEnd - since) / 86_400_000.0,
              since));
      dataStart = 0; // every rating up to the end, not just the recent windows
    }
    if (reasons.isEmpty() || windowEnd <= dataStart) {
      // A late report of a window before the breach would ask for a window that ends before it
      // starts: wait for a report that ends after it.
      return;
    }
    String version = serving.value();
    String reason = String.join("; ", reasons);
    RetrainRequest request =
        RetrainRequest.newBuilder()
            .setRequestId("retrain-" + version + "-" + windowEnd)
            .setReason(reason)
            .setServingVersion(version)
            .setWindowStart(dataStart)
            .setWindowEnd(windowEnd)
            .setRequestedAt(ctx.timerService().currentProcessingTime())
            .build();
    open.update(request);
    requestOpen = true;
    scheduleFrom.update(windowEnd);
    newLabels.clear();
    streaks.clear();
    lastValues.clear();
    requests.inc();
    out.collect(request);
    Map<String, Double> figures = new HashMap<>();
    figures.put("requests", (double) requests.getCount());
    ctx.output(
        REPORTS,
        MonitorReport.newBuilder()
            .setWindowStart(dataStart)
            .setWindowEnd(windowEnd)
            .setModelVersion(version)
            .setKind("retrain")
            .setMetrics(figures)
            .setMessage(request.getRequestId() + ": " + reason)
            .build());
  }

  private static long orZero(Long v) {
    return v == null ? 0 : v;
  }
}
