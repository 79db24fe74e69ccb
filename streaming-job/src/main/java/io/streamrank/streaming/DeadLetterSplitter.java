package io.streamrank.streaming;

import io.streamrank.schemas.DeadLetter;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends decoded, valid records on and dead letters (made by the source's deserializer, with the
 * reason, topic, partition and offset) to a side output, so neither is lost.
 *
 * @param <T> the record type of the source
 */
public final class DeadLetterSplitter<T> extends ProcessFunction<Either<DeadLetter, T>, T>
    implements ResultTypeQueryable<T> {
  private static final long serialVersionUID = 1L;

  /** The side output carrying dead letters. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS =
      new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

  private final TypeInformation<T> type;

  public DeadLetterSplitter(TypeInformation<T> type) {
    this.type = type;
  }

  @Override
  public void processElement(Either<DeadLetter, T> value, Context ctx, Collector<T> out) {
    if (value.isLeft()) {
      ctx.output(DEAD_LETTERS, value.left());
    } else {
      out.collect(value.right());
    }
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return type;
  }
}
