package io.streamrank.streaming;

import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import java.util.Objects;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;

/**
 * The scoring job: events → dead-letter split → micro-batched ONNX scoring with hot swap →
 * predictions; model announcements are broadcast to every scoring instance; every undecodable or
 * invalid record goes to the dead-letter sink and every swap or rejection to the monitoring sink.
 * It takes its sources, sinks and model as arguments, so tests run the same graph with test sources
 * and sinks; {@link KafkaScoringJob} picks the real ones.
 */
public final class ScoringJob {
  private final Source<Either<DeadLetter, Event>, ?, ?> events;
  private final Source<Either<DeadLetter, ModelUpdate>, ?, ?> modelUpdates;
  private final Sink<Prediction> predictions;
  private final Sink<DeadLetter> deadLetters;
  private final Sink<MonitorReport> monitoring;
  private final ModelProvider model;
  private final int batchSize;
  private final long flushIntervalMs;
  private final double gateMargin;

  /**
   * @param events decoded events, or dead letters for records that could not be decoded
   * @param modelUpdates model version announcements, or dead letters
   * @param predictions where scored events go
   * @param deadLetters where unusable records go, with the reason
   * @param monitoring where swap and rejection reports go
   * @param model opens the initial and announced model versions
   * @param batchSize largest micro-batch
   * @param flushIntervalMs longest wait for a batch to fill
   * @param gateMargin RMSE margin of the swap gate
   */
  public ScoringJob(
      Source<Either<DeadLetter, Event>, ?, ?> events,
      Source<Either<DeadLetter, ModelUpdate>, ?, ?> modelUpdates,
      Sink<Prediction> predictions,
      Sink<DeadLetter> deadLetters,
      Sink<MonitorReport> monitoring,
      ModelProvider model,
      int batchSize,
      long flushIntervalMs,
      double gateMargin) {
    this.events = Objects.requireNonNull(events, "events source");
    this.modelUpdates = Objects.requireNonNull(modelUpdates, "model-updates source");
    this.predictions = Objects.requireNonNull(predictions, "predictions sink");
    this.deadLetters = Objects.requireNonNull(deadLetters, "dead-letters sink");
    this.monitoring = Objects.requireNonNull(monitoring, "monitoring sink");
    this.model = Objects.requireNonNull(model, "model provider");
    this.batchSize = batchSize;
    this.flushIntervalMs = flushIntervalMs;
    this.gateMargin = gateMargin;
  }

  /** Adds the job's operators to the environment without running it. */
  public void build(StreamExecutionEnvironment env) {
    SingleOutputStreamOperator<Event> valid =
        env.fromSource(events, WatermarkStrategy.noWatermarks(), "events")
            .uid("events-source")
            .process(new DeadLetterSplitter<Event>(new AvroTypeInfo<>(Event.class)))
            .uid("dead-letter-split")
            .name("dead-letter split");
    SingleOutputStreamOperator<ModelUpdate> updates =
        env.fromSource(modelUpdates, WatermarkStrategy.noWatermarks(), "model-updates")
            .uid("model-updates-source")
            .setParallelism(1)
            .process(new DeadLetterSplitter<ModelUpdate>(new AvroTypeInfo<>(ModelUpdate.class)))
            .uid("model-updates-split")
            .name("model-updates split")
            .setParallelism(1);
    SingleOutputStreamOperator<Prediction> scored =
        valid
            .connect(updates.broadcast())
            .transform(
                "batched ONNX scoring",
                new AvroTypeInfo<>(Prediction.class),
                new BatchScoringOperator(model, batchSize, flushIntervalMs, gateMargin))
            .uid("batch-scoring");
    scored.sinkTo(predictions).uid("predictions-sink").name("predictions");
    scored
        .getSideOutput(BatchScoringOperator.MONITORING)
        .sinkTo(monitoring)
        .uid("monitoring-sink")
        .name("monitoring");
    DataStream<DeadLetter> allDeadLetters =
        valid
            .getSideOutput(DeadLetterSplitter.DEAD_LETTERS)
            .union(updates.getSideOutput(DeadLetterSplitter.DEAD_LETTERS));
    allDeadLetters.sinkTo(deadLetters).uid("dead-letters-sink").name("dead letters");
  }

  /** Builds and runs the job until its sources end (or forever, for unbounded ones). */
  public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
    build(env);
    return env.execute("streamrank scoring");
  }
}
