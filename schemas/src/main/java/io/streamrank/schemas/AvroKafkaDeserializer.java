package io.streamrank.schemas;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka client deserializer for tools and tests: throws with the reason on a bad record. The
 * streaming job uses {@link DeadLetterDeserializationSchema} instead, which never throws.
 */
public final class AvroKafkaDeserializer<T extends SpecificRecordBase> implements Deserializer<T> {
  private final AvroCodec<T> codec;

  public AvroKafkaDeserializer(AvroCodec<T> codec) {
    this.codec = codec;
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    Decoded<T> d = codec.decode(data);
    if (!d.isOk()) {
      throw new SerializationException("bad record on " + topic + ": " + d.failure());
    }
    return d.value();
  }
}
