package io.streamrank.schemas;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka client serializer writing Avro single-object encoding. */
public final class AvroKafkaSerializer<T extends SpecificRecordBase> implements Serializer<T> {
  private final AvroCodec<T> codec;

  public AvroKafkaSerializer(AvroCodec<T> codec) {
    this.codec = codec;
  }

  @Override
  public byte[] serialize(String topic, T data) {
    return data == null ? null : codec.encode(data);
  }
}
