package io.streamrank.streaming;

import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.Event;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends decoded, valid events on and dead letters (made by the source's deserializer, with the
 * reason, topic, partition and offset) to a side output, so neither is lost.
 */
public final class DeadLetterSplitter extends ProcessFunction<Either<DeadLetter, Event>, Event> {
  private static final long serialVersionUID = 1L;

  /** The side output carrying dead letters. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS =
      new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

  @Override
  public void processElement(Either<DeadLetter, Event> value, Context ctx, Collector<Event> out) {
    if (value.isLeft()) {
      ctx.output(DEAD_LETTERS, value.left());
    } else {
      out.collect(value.right());
    }
  }
}
