package io.streamrank.streaming;

import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.schemas.RetrainRequest;
import io.streamrank.streaming.features.FeatureGraph;
import io.streamrank.streaming.features.FeatureSettings;
import io.streamrank.streaming.monitor.LabelOutcome;
import io.streamrank.streaming.monitor.MonitorSettings;
import io.streamrank.streaming.monitor.Monitors;
import io.streamrank.streaming.monitor.ReferenceSource;
import io.streamrank.streaming.monitor.ShadowEvaluator;
import io.streamrank.streaming.monitor.ShadowSettings;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;

/**
 * The scoring job: events → dead-letter split → (streaming features from keyed state fed by
 * ratings, when configured) → micro-batched ONNX scoring with hot swap → predictions; model
 * announcements are broadcast to every scoring instance; predictions and ratings feed the drift,
 * error and latency monitors, whose window reports go to the monitoring sink with every swap and
 * rejection, and whose trigger writes retrain requests. Every undecodable or invalid record goes to
 * the dead-letter sink. Shadow trials are decided by the {@link ShadowEvaluator} over the join's
 * labelled outcomes; its promote or drop records go to the model-decisions sink and come back to
 * every instance through the model-decisions source, unioned with the announcements (the job never
 * writes model-updates). It takes its sources, sinks and model as arguments (see {@link
 * #builder()}), so tests run the same graph with test sources and sinks; {@link KafkaScoringJob}
 * picks the real ones.
 */
public final class ScoringJob {
  private final Builder b;

  private ScoringJob(Builder b) {
    this.b = b;
  }

  /**
   * A builder; every source, sink, the model, the references and the monitor settings are required.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Adds the job's operators to the environment without running it. */
  public void build(StreamExecutionEnvironment env) {
    SingleOutputStreamOperator<Event> valid =
        env.fromSource(b.events, WatermarkStrategy.noWatermarks(), "events")
            .uid("events-source")
            .process(new DeadLetterSplitter<Event>(new AvroTypeInfo<>(Event.class)))
            .uid("dead-letter-split")
            .name("dead-letter split");
    SingleOutputStreamOperator<RatingEvent> ratings =
        env.fromSource(b.ratings, WatermarkStrategy.noWatermarks(), "ratings")
            .uid("ratings-source")
            .process(new DeadLetterSplitter<RatingEvent>(new AvroTypeInfo<>(RatingEvent.class)))
            .uid("ratings-dead-letter-split")
            .name("ratings dead-letter split");
    SingleOutputStreamOperator<ModelUpdate> announcements =
        env.fromSource(b.modelUpdates, WatermarkStrategy.noWatermarks(), "model-updates")
            .uid("model-updates-source")
            .setParallelism(1)
            .process(new DeadLetterSplitter<ModelUpdate>(new AvroTypeInfo<>(ModelUpdate.class)))
            .uid("model-updates-split")
            .name("model-updates split")
            .setParallelism(1)
            .setBufferTimeout(b.lowVolumeBufferTimeoutMs);
    SingleOutputStreamOperator<ModelUpdate> readDecisions =
        env.fromSource(b.modelDecisionsSource, WatermarkStrategy.noWatermarks(), "model-decisions")
            .uid("model-decisions-source")
            .setParallelism(1)
            .process(new DeadLetterSplitter<ModelUpdate>(new AvroTypeInfo<>(ModelUpdate.class)))
            .uid("model-decisions-split")
            .name("model-decisions split")
            .setParallelism(1)
            .setBufferTimeout(b.lowVolumeBufferTimeoutMs);
    // No order across the two topics: a decision may arrive before its announcement.
    DataStream<ModelUpdate> updates = announcements.union(readDecisions);
    DataStream<ScoringRequest> requests =
        b.features == null
            ? valid.map(ScoringRequest::of, FeatureGraph.REQUEST_TYPE).name("requests")
            : FeatureGraph.attach(valid, ratings, b.features);
    SingleOutputStreamOperator<Prediction> scored =
        requests
            .connect(updates.broadcast())
            .transform(
                "batched ONNX scoring",
                new AvroTypeInfo<>(Prediction.class),
                new BatchScoringOperator(b.model, b.batchSize, b.flushIntervalMs, b.gateMargin))
            .uid("batch-scoring");
    DataStreamSink<Prediction> predictions =
        scored.sinkTo(b.predictions).uid("predictions-sink").name("predictions");
    if (b.predictionsSinkOwnTask) {
      predictions.disableChaining();
    }
    DataStream<MonitorReport> modelReports = scored.getSideOutput(BatchScoringOperator.MONITORING);
    Monitors.Outputs monitors =
        Monitors.attach(scored, ratings, modelReports, b.monitorSettings, b.references);
    SingleOutputStreamOperator<ModelUpdate> decisions =
        monitors
            .labelOutcomes()
            .filter(o -> o.kind == LabelOutcome.Kind.MATCHED && o.shadowVersion != null)
            .uid("shadow-outcomes")
            .name("shadow outcomes")
            .setBufferTimeout(b.lowVolumeBufferTimeoutMs)
            .keyBy(LabelOutcome::getShadowVersion, Types.STRING)
            .connect(updates.keyBy(ModelUpdate::getVersion, Types.STRING))
            .process(new ShadowEvaluator(b.shadowSettings), new AvroTypeInfo<>(ModelUpdate.class))
            .uid("shadow-evaluator")
            .name("shadow evaluator")
            .setParallelism(1)
            .setBufferTimeout(b.lowVolumeBufferTimeoutMs);
    decisions
        .sinkTo(b.modelDecisions)
        .uid("model-decisions-sink")
        .name("model decisions")
        .setParallelism(1);
    modelReports
        .union(monitors.reports(), decisions.getSideOutput(ShadowEvaluator.REPORTS))
        .sinkTo(b.monitoring)
        .uid("monitoring-sink")
        .name("monitoring")
        .setParallelism(1);
    monitors
        .retrainRequests()
        .sinkTo(b.retrainRequests)
        .uid("retrain-requests-sink")
        .name("retrain requests")
        .setParallelism(1);
    DataStream<DeadLetter> allDeadLetters =
        valid
            .getSideOutput(DeadLetterSplitter.DEAD_LETTERS)
            .union(
                ratings.getSideOutput(DeadLetterSplitter.DEAD_LETTERS),
                announcements.getSideOutput(DeadLetterSplitter.DEAD_LETTERS),
                readDecisions.getSideOutput(DeadLetterSplitter.DEAD_LETTERS));
    allDeadLetters
        .sinkTo(b.deadLetters)
        .uid("dead-letters-sink")
        .name("dead letters")
        .setParallelism(1);
  }

  /** Builds and runs the job until its sources end (or forever, for unbounded ones). */
  public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
    build(env);
    return env.execute("streamrank scoring");
  }

  /** Collects the job's sources, sinks, model and settings; {@link #build()} checks them. */
  public static final class Builder {
    private Source<Either<DeadLetter, Event>, ?, ?> events;
    private Source<Either<DeadLetter, RatingEvent>, ?, ?> ratings;
    private Source<Either<DeadLetter, ModelUpdate>, ?, ?> modelUpdates;
    private Sink<Prediction> predictions;
    private Sink<DeadLetter> deadLetters;
    private Sink<MonitorReport> monitoring;
    private Sink<RetrainRequest> retrainRequests;
    private Sink<ModelUpdate> modelDecisions;
    private Source<Either<DeadLetter, ModelUpdate>, ?, ?> modelDecisionsSource;
    private ShadowSettings shadowSettings = ShadowSettings.defaults();
    private ModelProvider model;
    private ReferenceSource references;
    private MonitorSettings monitorSettings;
    private int batchSize = 256;
    private long flushIntervalMs = 20;
    private long lowVolumeBufferTimeoutMs = 100;
    private double gateMargin = 0.02;
    private boolean predictionsSinkOwnTask = true;
    private FeatureSettings features;

    private Builder() {}

    /** Decoded events, or dead letters for records that could not be decoded. */
    public Builder events(Source<Either<DeadLetter, Event>, ?, ?> s) {
      this.events = s;
      return this;
    }

    /** Ratings (labels), or dead letters. */
    public Builder ratings(Source<Either<DeadLetter, RatingEvent>, ?, ?> s) {
      this.ratings = s;
      return this;
    }

    /** Model version announcements, or dead letters. */
    public Builder modelUpdates(Source<Either<DeadLetter, ModelUpdate>, ?, ?> s) {
      this.modelUpdates = s;
      return this;
    }

    /** Where scored events go. */
    public Builder predictions(Sink<Prediction> s) {
      this.predictions = s;
      return this;
    }

    /** Where unusable records go, with the reason. */
    public Builder deadLetters(Sink<DeadLetter> s) {
      this.deadLetters = s;
      return this;
    }

    /** Where swap, rejection, window and retrain reports go. */
    public Builder monitoring(Sink<MonitorReport> s) {
      this.monitoring = s;
      return this;
    }

    /** Where retrain requests go. */
    public Builder retrainRequests(Sink<RetrainRequest> s) {
      this.retrainRequests = s;
      return this;
    }

    /**
     * Where shadow trials' promote and drop records go: the topic the {@link #modelDecisionsSource}
     * reads, so each decision reaches every scoring instance.
     */
    public Builder modelDecisions(Sink<ModelUpdate> s) {
      this.modelDecisions = s;
      return this;
    }

    /**
     * Shadow trials' decisions read back (what the {@link #modelDecisions} sink wrote), or dead
     * letters; unioned with the announcements, in no particular order with them.
     */
    public Builder modelDecisionsSource(Source<Either<DeadLetter, ModelUpdate>, ?, ?> s) {
      this.modelDecisionsSource = s;
      return this;
    }

    /** How shadow trials are decided (default {@link ShadowSettings#defaults()}). */
    public Builder shadowSettings(ShadowSettings s) {
      this.shadowSettings = s;
      return this;
    }

    /** Opens the initial and announced model versions. */
    public Builder model(ModelProvider m) {
      this.model = m;
      return this;
    }

    /** The monitors' reference of each model version. */
    public Builder references(ReferenceSource r) {
      this.references = r;
      return this;
    }

    /** Monitor windows, join timeout and trigger policy. */
    public Builder monitorSettings(MonitorSettings s) {
      this.monitorSettings = s;
      return this;
    }

    /** Largest micro-batch (default 256). */
    public Builder batchSize(int n) {
      this.batchSize = n;
      return this;
    }

    /**
     * Whether the predictions sink runs as its own task (default) or chained to the scoring
     * operator; see {@link ScoringOptions#PREDICTIONS_SINK_OWN_TASK}.
     */
    public Builder predictionsSinkOwnTask(boolean ownTask) {
      this.predictionsSinkOwnTask = ownTask;
      return this;
    }

    /** Longest wait for a batch to fill (default 20 ms). */
    public Builder flushIntervalMs(long ms) {
      this.flushIntervalMs = ms;
      return this;
    }

    /**
     * Buffer timeout of the edges that carry a few records a second whatever the event rate: model
     * updates and decisions, shadow outcomes and the shadow evaluator's output (default 100 ms; the
     * environment's timeout applies to every other edge). The monitors' edges keep the
     * environment's: the retrain trigger acts on reports in arrival order.
     */
    public Builder lowVolumeBufferTimeoutMs(long ms) {
      this.lowVolumeBufferTimeoutMs = ms;
      return this;
    }

    /**
     * Attaches streaming features kept in keyed state to every request (default: none). The model
     * provider must serve models that take them.
     */
    public Builder features(FeatureSettings settings) {
      this.features = settings;
      return this;
    }

    /** RMSE margin of the swap gate (default 0.02). */
    public Builder gateMargin(double margin) {
      this.gateMargin = margin;
      return this;
    }

    /**
     * The job.
     *
     * @throws IllegalStateException naming everything that was not set
     */
    public ScoringJob build() {
      List<String> missing = new ArrayList<>();
      check(events, "events source", missing);
      check(ratings, "ratings source", missing);
      check(modelUpdates, "model-updates source", missing);
      check(predictions, "predictions sink", missing);
      check(deadLetters, "dead-letters sink", missing);
      check(monitoring, "monitoring sink", missing);
      check(retrainRequests, "retrain-requests sink", missing);
      check(modelDecisions, "model-decisions sink", missing);
      check(modelDecisionsSource, "model-decisions source", missing);
      check(shadowSettings, "shadow settings", missing);
      check(model, "model provider", missing);
      check(references, "reference source", missing);
      check(monitorSettings, "monitor settings", missing);
      if (!missing.isEmpty()) {
        throw new IllegalStateException("the scoring job needs a " + String.join(", a ", missing));
      }
      if (batchSize <= 0 || flushIntervalMs <= 0 || !(gateMargin >= 0)) {
        throw new IllegalStateException(
            "the scoring job needs batch size > 0, flush interval > 0 and gate margin >= 0, got "
                + batchSize
                + ", "
                + flushIntervalMs
                + ", "
                + gateMargin);
      }
      if (lowVolumeBufferTimeoutMs < 0) {
        throw new IllegalStateException(
            "the scoring job needs a low-volume buffer timeout >= 0 ms, got "
                + lowVolumeBufferTimeoutMs);
      }
      return new ScoringJob(this);
    }

    private static void check(Object value, String what, List<String> missing) {
      if (value == null) {
        missing.add(what);
      }
    }
  }
}
