package io.streamrank.schemas;

import java.io.IOException;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Kafka source deserializer for the streaming job: a good record comes out as {@code Right(value)},
 * a bad one as {@code Left(DeadLetter)} with the reason, topic, partition, offset and original
 * bytes. It never throws, so one poisoned record cannot restart-loop the job, and it never drops a
 * record silently.
 */
public final class DeadLetterDeserializationSchema<T extends SpecificRecordBase>
    implements KafkaRecordDeserializationSchema<Either<DeadLetter, T>> {
  private static final long serialVersionUID = 1L;

  private final AvroCodec<T> codec;
  private final RecordValidator<T> validator;

  /** Decodes without further validation. */
  public DeadLetterDeserializationSchema(AvroCodec<T> codec) {
    this(codec, RecordValidator.none());
  }

  /** Decodes, then sends records the validator objects to to dead letters too. */
  public DeadLetterDeserializationSchema(AvroCodec<T> codec, RecordValidator<T> validator) {
    this.codec = codec;
    this.validator = validator;
  }

  @Override
  public void deserialize(
      ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, T>> out)
      throws IOException {
    Decoded<T> decoded = codec.decode(record.value());
    if (decoded.isOk()) {
      String problem = validator.problem(decoded.value());
      out.collect(
          problem == null
              ? Either.Right(decoded.value())
              : Either.Left(deadLetter(record, problem)));
    } else {
      out.collect(Either.Left(deadLetter(record, decoded.failure())));
    }
  }

  /** A dead letter for a record read from Kafka. */
  public static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
    byte[] payload = record.value() == null ? new byte[0] : record.value();
    return DeadLetter.newBuilder()
        .setSourceTopic(record.topic())
        .setPartition(record.partition())
        .setOffset(record.offset())
        .setReason(reason)
        .setPayload(java.nio.ByteBuffer.wrap(payload))
        .setFailedAt(System.currentTimeMillis())
        .build();
  }

  @Override
  public TypeInformation<Either<DeadLetter, T>> getProducedType() {
    return new EitherTypeInfo<>(
        new AvroTypeInfo<>(DeadLetter.class), new AvroTypeInfo<>(codec.type()));
  }
}
