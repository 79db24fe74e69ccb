package io.streamrank.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class AvroCodecTest {
  private final AvroCodec<Event> codec = AvroCodec.of(Event.class);

  static Event event(String id) {
    return Event.newBuilder().setEventId(id).setUserId(7).setMovieId(42).setTimestamp(1000).build();
  }

  @Test
  void roundTripsWithFingerprintInTheHeader() {
    byte[] bytes = codec.encode(event("e1"));
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong())
        .isEqualTo(codec.fingerprint());
    assertThat(codec.decode(bytes).value()).isEqualTo(event("e1"));
  }

  @Test
  void randomBytesAreFailuresNeverExceptions() {
    Random rnd = new Random(1);
    for (int i = 0; i < 2_000; i++) {
      byte[] junk = new byte[rnd.nextInt(64)];
      rnd.nextBytes(junk);
      if (i % 2 == 0 && junk.length >= 2) {
        junk[0] = (byte) 0xC3; // get past the marker check half the time
        junk[1] = 0x01;
      }
      Decoded<Event> d = codec.decode(junk);
      assertThat(d.isOk()).as("random bytes %s", Arrays.toString(junk)).isFalse();
      assertThat(d.failure()).isNotBlank();
    }
    assertThat(codec.decode(null).failure()).contains("empty record");
    assertThat(codec.decode("hello, world".getBytes()).failure())
        .contains("not Avro single-object encoding");
  }

  @Test
  void everyTruncationIsReported() {
    byte[] good = codec.encode(event("event-123"));
    for (int n = 0; n < good.length; n++) {
      Decoded<Event> d = codec.decode(Arrays.copyOf(good, n));
      assertThat(d.isOk()).as("truncated to %d bytes", n).isFalse();
    }
  }

  @Test
  void trailingBytesAreReported() {
    byte[] good = codec.encode(event("e"));
    byte[] longer = Arrays.copyOf(good, good.length + 3);
    assertThat(codec.decode(longer).failure()).contains("trailing bytes");
  }

  @Test
  void unknownFingerprintNamesBothFingerprints() {
    byte[] bytes = codec.encode(event("e1"));
    bytes[5] ^= 0x55;
    assertThat(codec.decode(bytes).failure())
        .startsWith("unknown schema fingerprint")
        .contains(Long.toHexString(codec.fingerprint()));
  }

  @Test
  void recordOfAnotherTopicIsRejectedByFingerprint() {
    byte[] rating =
        AvroCodec.of(RatingEvent.class)
            .encode(
                RatingEvent.newBuilder()
                    .setEventId("e")
                    .setUserId(1)
                    .setMovieId(2)
                    .setTimestamp(3)
                    .setRating(4f)
                    .build());
    assertThat(codec.decode(rating).failure()).startsWith("unknown schema fingerprint");
  }

  @Test
  void hugeLengthPrefixIsReportedWithoutAllocating() {
    byte[] good = codec.encode(event("e"));
    // Body starts at 10 with the event_id string length; claim 2^40 bytes.
    byte[] evil = new byte[good.length + 5];
    System.arraycopy(good, 0, evil, 0, 10);
    byte[] huge = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x40};
    System.arraycopy(huge, 0, evil, 10, huge.length);
    Decoded<Event> d = codec.decode(evil);
    assertThat(d.failure()).contains("field event_id").contains("length");
  }

  @Test
  void oldReaderReadsNewWriterWithDefaultedField() throws Exception {
    Schema newer =
        new Schema.Parser()
            .parse(
                Event.getClassSchema()
                    .toString()
                    .replace(
                        "{\"name\":\"timestamp\"",
                        "{\"name\":\"channel\",\"type\":\"string\",\"default\":\"web\"},"
                            + "{\"name\":\"timestamp\""));
    GenericRecord r = new GenericData.Record(newer);
    r.put("event_id", "e9");
    r.put("user_id", 3L);
    r.put("movie_id", 4L);
    r.put("channel", "mobile");
    r.put("timestamp", 5L);
    ByteBuffer buf = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newer).encode(r);
    byte[] bytes = new byte[buf.remaining()];
    buf.get(bytes);

    assertThat(codec.decode(bytes).failure()).startsWith("unknown schema fingerprint");
    Event read = codec.withWriterSchema(newer).decode(bytes).value();
    assertThat(read.getEventId()).isEqualTo("e9");
    assertThat(read.getTimestamp()).isEqualTo(5L);
  }

  @Test
  void announcementsAndPredictionsWrittenBeforeShadowModeStillDecode() {
    Schema old = PreviousSchemas.load("ModelUpdate-1");
    GenericRecord r = new GenericData.Record(old);
    r.put("version", "v1");
    r.put("bundle_uri", "file:///registry/v1");
    r.put("sha256", "abc");
    r.put("created_at", 5L);
    r.put("rollback", false);
    r.put("metrics", java.util.Map.of());
    ModelUpdate read = Topics.defaults().modelUpdates().codec().decode(encode(old, r)).value();
    assertThat(read.getVersion()).isEqualTo("v1");
    assertThat(read.getShadow()).isFalse();
    assertThat(read.getDecision()).isNull();

    Schema oldPrediction = PreviousSchemas.load("Prediction-1");
    GenericRecord p = new GenericData.Record(oldPrediction);
    p.put("event_id", "e1");
    p.put("user_id", 1L);
    p.put("movie_id", 2L);
    p.put("event_timestamp", 3L);
    p.put("score", 3.5f);
    p.put("model_version", "v1");
    p.put("ingest_time", 4L);
    p.put("scored_time", 5L);
    p.put("user_known", true);
    p.put("movie_known", true);
    Prediction prediction =
        Topics.defaults().predictions().codec().decode(encode(oldPrediction, p)).value();
    assertThat(prediction.getScore()).isEqualTo(3.5f);
    assertThat(prediction.getShadowVersion()).isNull();
    assertThat(prediction.getShadowScore()).isNull();
  }

  private static byte[] encode(Schema schema, GenericRecord r) {
    try {
      ByteBuffer buf = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(r);
      byte[] bytes = new byte[buf.remaining()];
      buf.get(bytes);
      return bytes;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void flinkSourceSchemaTurnsBadRecordsIntoDeadLettersWithTheirCoordinates() throws Exception {
    DeadLetterDeserializationSchema<Event> schema = new DeadLetterDeserializationSchema<>(codec);
    List<Either<DeadLetter, Event>> out = new ArrayList<>();
    Collector<Either<DeadLetter, Event>> collector =
        new Collector<>() {
          @Override
          public void collect(Either<DeadLetter, Event> record) {
            out.add(record);
          }

          @Override
          public void close() {}
        };
    schema.deserialize(
        new ConsumerRecord<>("events", 1, 17L, null, codec.encode(event("ok"))), collector);
    schema.deserialize(
        new ConsumerRecord<>("events", 2, 99L, null, new byte[] {1, 2, 3}), collector);
    schema.deserialize(new ConsumerRecord<>("events", 0, 5L, null, null), collector);
    assertThat(out).hasSize(3);
    assertThat(out.get(0).right().getEventId()).isEqualTo("ok");
    DeadLetter dl = out.get(1).left();
    assertThat(dl.getSourceTopic()).isEqualTo("events");
    assertThat(dl.getPartition()).isEqualTo(2);
    assertThat(dl.getOffset()).isEqualTo(99L);
    assertThat(dl.getReason()).contains("not Avro single-object encoding");
    assertThat(dl.getPayload().remaining()).isEqualTo(3);
    assertThat(out.get(2).left().getReason()).contains("empty record");
    assertThat(schema.getProducedType().toString()).contains("Either");
  }
}
