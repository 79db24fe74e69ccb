package io.streamrank.schemas;

import java.io.Serializable;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * A topic name tied to the codec of the records it carries, so a producer and a consumer of the
 * same topic cannot disagree about its type.
 *
 * @param <T> the record type on the topic
 */
public final class Topic<T extends SpecificRecordBase> implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final AvroCodec<T> codec;

  public Topic(String name, AvroCodec<T> codec) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank");
    }
    this.name = name;
    this.codec = Objects.requireNonNull(codec, "codec");
  }

  public String name() {
    return name;
  }

  public AvroCodec<T> codec() {
    return codec;
  }

  /** A Kafka client serializer for this topic's records. */
  public AvroKafkaSerializer<T> serializer() {
    return new AvroKafkaSerializer<>(codec);
  }

  /** A Kafka client deserializer that throws on a bad record (for tools, not for the job). */
  public AvroKafkaDeserializer<T> deserializer() {
    return new AvroKafkaDeserializer<>(codec);
  }

  @Override
  public String toString() {
    return name + "<" + codec.type().getSimpleName() + ">";
  }
}
