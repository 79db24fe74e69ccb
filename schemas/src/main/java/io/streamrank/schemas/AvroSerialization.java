package io.streamrank.schemas;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializationSchema;

/** Flink serialization schema (for the Kafka sink) writing Avro single-object encoding. */
public final class AvroSerialization<T extends SpecificRecordBase>
    implements SerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final AvroCodec<T> codec;

  public AvroSerialization(AvroCodec<T> codec) {
    this.codec = codec;
  }

  @Override
  public byte[] serialize(T element) {
    return codec.encode(element);
  }
}
