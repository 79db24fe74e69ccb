package io.streamrank.streaming;

import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.Prediction;
import java.util.Objects;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;

/**
 * The scoring job: events → dead-letter split → micro-batched ONNX scoring → predictions, with
 * every undecodable or invalid record on the dead-letter sink. It takes its source, sinks and model
 * as arguments, so tests run the same graph with test sources and sinks; {@link KafkaScoringJob}
 * picks the real ones.
 */
public final class ScoringJob {
  private final Source<Either<DeadLetter, Event>, ?, ?> events;
  private final Sink<Prediction> predictions;
  private final Sink<DeadLetter> deadLetters;
  private final ModelProvider model;
  private final int batchSize;
  private final long flushIntervalMs;

  /**
   * @param events decoded events, or dead letters for records that could not be decoded
   * @param predictions where scored events go
   * @param deadLetters where unusable records go, with the reason
   * @param model opens the model version to serve
   * @param batchSize largest micro-batch
   * @param flushIntervalMs longest wait for a batch to fill
   */
  public ScoringJob(
      Source<Either<DeadLetter, Event>, ?, ?> events,
      Sink<Prediction> predictions,
      Sink<DeadLetter> deadLetters,
      ModelProvider model,
      int batchSize,
      long flushIntervalMs) {
    this.events = Objects.requireNonNull(events, "events source");
    this.predictions = Objects.requireNonNull(predictions, "predictions sink");
    this.deadLetters = Objects.requireNonNull(deadLetters, "dead-letters sink");
    this.model = Objects.requireNonNull(model, "model provider");
    this.batchSize = batchSize;
    this.flushIntervalMs = flushIntervalMs;
  }

  /** Adds the job's operators to the environment without running it. */
  public void build(StreamExecutionEnvironment env) {
    SingleOutputStreamOperator<Event> valid =
        env.fromSource(events, WatermarkStrategy.noWatermarks(), "events")
            .uid("events-source")
            .process(new DeadLetterSplitter())
            .uid("dead-letter-split")
            .name("dead-letter split");
    valid
        .transform(
            "batched ONNX scoring",
            new AvroTypeInfo<>(Prediction.class),
            new BatchScoringOperator(model, batchSize, flushIntervalMs))
        .uid("batch-scoring")
        .sinkTo(predictions)
        .uid("predictions-sink")
        .name("predictions");
    valid
        .getSideOutput(DeadLetterSplitter.DEAD_LETTERS)
        .sinkTo(deadLetters)
        .uid("dead-letters-sink")
        .name("dead letters");
  }

  /** Builds and runs the job until its sources end (or forever, for unbounded ones). */
  public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
    build(env);
    return env.execute("streamrank scoring");
  }
}
