package io.streamrank.streaming.monitor;

import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides shadow trials. Keyed by candidate version, it reads the labelled outcomes that carried
 * the candidate's shadow score (first input) and the announcement channel (second input), and
 * accumulates the squared errors of the serving version and of the candidate on the same events.
 *
 * <p>Once a trial's announcement is known and {@link ShadowSettings#labels()} outcomes are in, it
 * emits one decision record for {@code model-decisions}: {@link #PROMOTE} when the candidate's RMSE
 * is at least the margin below the serving version's, {@link #DROP} otherwise; a trial still short
 * of labels when {@link ShadowSettings#timeout()} of processing time has passed since its
 * announcement is dropped. The decision is read back by the scoring operators together with the
 * announcements (in no particular order with them), and the topic is the audit log of every trial;
 * every start, promotion and drop is reported on {@link #REPORTS} with both errors. A decision read
 * back marks the trial decided, so a replayed topic never decides twice; a shadow announcement
 * after it starts a new trial, as it does in the scoring operators, which read the same stream.
 */
public final class ShadowEvaluator
    extends KeyedCoProcessFunction<String, LabelOutcome, ModelUpdate, ModelUpdate> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ShadowEvaluator.class);

  /** Value of {@code ModelUpdate.decision} that promotes the candidate. */
  public static final String PROMOTE = "promote";

  /** Value of {@code ModelUpdate.decision} that ends the trial without promotion. */
  public static final String DROP = "drop";

  /** Start, promotion and drop reports. */
  public static final OutputTag<MonitorReport> REPORTS =
      new OutputTag<>("shadow-reports", new AvroTypeInfo<>(MonitorReport.class));

  private final ShadowSettings settings;

  private transient ValueState<ModelUpdate> trial;
  private transient ValueState<Long> deadline;
  private transient ValueState<ShadowTally> tally;
  private transient ValueState<String> decided;
  private transient Counter promotions;
  private transient Counter drops;
  private transient volatile ShadowTally latest;

  public ShadowEvaluator(ShadowSettings settings) {
    this.settings = settings;
  }

  @Override
  public void open(OpenContext openContext) {
    trial =
        getRuntimeContext()
            .getState(new ValueStateDescriptor<>("trial", new AvroTypeInfo<>(ModelUpdate.class)));
    deadline = getRuntimeContext().getState(new ValueStateDescriptor<>("deadline", Types.LONG));
    tally =
        getRuntimeContext()
            .getState(new ValueStateDescriptor<>("tally", Types.POJO(ShadowTally.class)));
    decided = getRuntimeContext().getState(new ValueStateDescriptor<>("decided", Types.STRING));
    var group = getRuntimeContext().getMetricGroup().addGroup("monitor", "shadow");
    promotions = group.counter("promotions");
    drops = group.counter("drops");
    group.gauge("labelled", () -> latest == null ? 0 : latest.labelled);
    group.gauge("servingRmse", () -> latest == null ? Double.NaN : latest.servingRmse());
    group.gauge("candidateRmse", () -> latest == null ? Double.NaN : latest.candidateRmse());
  }

  @Override
  public void processElement1(LabelOutcome o, Context ctx, Collector<ModelUpdate> out)
      throws Exception {
    if (o.kind != LabelOutcome.Kind.MATCHED || o.shadowVersion == null || decided.value() != null) {
      return;
    }
    ShadowTally t = tally.value();
    if (t == null) {
      t = new ShadowTally();
    }
    t.add(o);
    tally.update(t);
    latest = t;
    ModelUpdate announced = trial.value();
    if (announced != null && t.labelled >= settings.labels()) {
      decide(announced, t, ctx, out, null);
    }
  }

  @Override
  public void processElement2(ModelUpdate u, Context ctx, Collector<ModelUpdate> out)
      throws Exception {
    if (u.getDecision() != null) {
      // Our own decision read back (or one written before a restart): the trial is over.
      finish(ctx, u.getDecision());
      return;
    }
    if (!u.getShadow() || u.getRollback() || trial.value() != null) {
      return;
    }
    // Read in topic order, a shadow announcement after a decision is a new trial of that version.
    decided.clear();
    trial.update(u);
    long due = ctx.timerService().currentProcessingTime() + settings.timeout().toMillis();
    deadline.update(due);
    ctx.timerService().registerProcessingTimeTimer(due);
    report(
        ctx,
        "shadow-start",
        u.getVersion(),
        String.format(
            "shadow trial: %d labelled events within %s, promoted if its RMSE beats the serving"
                + " version's by %.4f",
            settings.labels(), settings.timeout(), settings.margin()),
        Map.of());
    ShadowTally t = tally.value();
    if (t != null && t.labelled >= settings.labels()) {
      decide(u, t, ctx, out, null);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ModelUpdate> out)
      throws Exception {
    ModelUpdate announced = trial.value();
    if (announced == null || decided.value() != null) {
      return;
    }
    ShadowTally t = tally.value() == null ? new ShadowTally() : tally.value();
    deadline.clear();
    decide(
        announced,
        t,
        ctx,
        out,
        String.format(
            "only %d of %d labelled events within %s",
            t.labelled, settings.labels(), settings.timeout()));
  }

  /** Emits the decision; {@code timedOut} is the reason when the trial ran out of time. */
  private void decide(
      ModelUpdate announced,
      ShadowTally t,
      Context ctx,
      Collector<ModelUpdate> out,
      String timedOut)
      throws Exception {
    double serving = t.servingRmse();
    double candidate = t.candidateRmse();
    boolean promote = timedOut == null && candidate <= serving - settings.margin();
    String comparison =
        String.format(
            "RMSE %.4f vs serving %s %.4f over %d labelled events, margin %.4f",
            candidate, t.servingVersion, serving, t.labelled, settings.margin());
    String reason;
    if (promote) {
      reason = "promoted: " + comparison;
    } else if (timedOut != null) {
      reason = "dropped: " + timedOut + (t.labelled > 0 ? "; " + comparison : "");
    } else {
      reason = "dropped: not better than the serving version by the margin; " + comparison;
    }
    Map<String, Double> figures = new HashMap<>();
    figures.put("labelled", (double) t.labelled);
    figures.put("serving_rmse", serving);
    figures.put("candidate_rmse", candidate);
    figures.put("margin", settings.margin());
    Map<String, Double> metrics = new HashMap<>(announced.getMetrics());
    figures.forEach((k, v) -> metrics.put("shadow_" + k, v));
    String decision = promote ? PROMOTE : DROP;
    out.collect(
        ModelUpdate.newBuilder(announced)
            .setShadow(false)
            .setDecision(decision)
            .setMetrics(metrics)
            .build());
    (promote ? promotions : drops).inc();
    LOG.info("Shadow trial of {} {}", announced.getVersion(), reason);
    report(
        ctx, promote ? "shadow-promote" : "shadow-drop", announced.getVersion(), reason, figures);
    finish(ctx, decision);
  }

  /** Marks the trial decided and clears what it kept. */
  private void finish(Context ctx, String decision) throws Exception {
    decided.update(decision);
    Long due = deadline.value();
    if (due != null) {
      ctx.timerService().deleteProcessingTimeTimer(due);
    }
    deadline.clear();
    trial.clear();
    tally.clear();
  }

  private void report(
      Context ctx, String kind, String version, String message, Map<String, Double> metrics) {
    long now = ctx.timerService().currentProcessingTime();
    ctx.output(
        REPORTS,
        MonitorReport.newBuilder()
            .setWindowStart(now)
            .setWindowEnd(now)
            .setModelVersion(version)
            .setKind(kind)
            .setMetrics(new HashMap<>(metrics))
            .setMessage(message)
            .build());
  }
}
