package io.streamrank.retrain;

import io.streamrank.datasets.Rating;
import io.streamrank.schemas.AvroCodec;
import io.streamrank.schemas.Decoded;
import io.streamrank.schemas.RatingEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@link RatingsTopic} slice as ratings: assigns every partition (no consumer group, no
 * commits), reads committed records from the start offsets up to the end offsets, keeps those whose
 * event time lies in the window, and returns them in event-time order (ties by partition and
 * offset, so every reader of the slice sees the same list). A record that does not decode as a
 * {@code RatingEvent}, or whose rating is not a finite number, is skipped and logged with its
 * partition, offset and reason; it never fails the run.
 */
final class TopicWindowReader {
  private static final Logger LOG = LoggerFactory.getLogger(TopicWindowReader.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration STALL_LIMIT = Duration.ofSeconds(60);

  private TopicWindowReader() {}

  /** What a read found. */
  record Read(List<Rating> ratings, List<String> skipped) {}

  /** The slice with its end pinned at each partition's current end offset. */
  static RatingsTopic pin(RatingsTopic t) {
    try (KafkaConsumer<byte[], byte[]> c = consumer(t.bootstrapServers())) {
      Map<Integer, Long> end = new TreeMap<>();
      c.endOffsets(partitions(c, t.topic()))
          .forEach((tp, offset) -> end.put(tp.partition(), offset));
      return new RatingsTopic(t.bootstrapServers(), t.topic(), t.startOffsets(), end);
    }
  }

  /**
   * Reads the slice.
   *
   * @param fromSeconds first event time kept (epoch seconds, inclusive)
   * @param toSeconds last event time kept (epoch seconds, inclusive)
   */
  static Read read(RatingsTopic t, long fromSeconds, long toSeconds) {
    RatingsTopic slice = t.pinned();
    AvroCodec<RatingEvent> codec = AvroCodec.of(RatingEvent.class);
    List<Keyed> kept = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer(slice.bootstrapServers())) {
      List<TopicPartition> all = partitions(c, slice.topic());
      Map<TopicPartition, Long> earliest = c.beginningOffsets(all);
      Map<TopicPartition, Long> starts = new HashMap<>();
      Map<TopicPartition, Long> remaining = new HashMap<>();
      for (TopicPartition tp : all) {
        long from =
            slice.startOffsets() == null
                ? 0
                : slice.startOffsets().getOrDefault(tp.partition(), 0L);
        long start = Math.max(earliest.get(tp), from);
        long end = slice.endOffsets().getOrDefault(tp.partition(), 0L);
        if (start < end) {
          starts.put(tp, start);
          remaining.put(tp, end);
        }
      }
      c.assign(remaining.keySet());
      starts.forEach(c::seek);
      long lastProgress = System.nanoTime();
      while (!remaining.isEmpty()) {
        var records = c.poll(POLL);
        if (!records.isEmpty()) {
          lastProgress = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          Long end = remaining.get(tp);
          if (end == null || r.offset() >= end) {
            continue;
          }
          Decoded<RatingEvent> d = codec.decode(r.value());
          String where = r.topic() + "[" + r.partition() + "]@" + r.offset();
          if (!d.isOk()) {
            skipped.add(where + ": " + d.failure());
          } else if (!Float.isFinite(d.value().getRating())) {
            skipped.add(where + ": rating is " + d.value().getRating() + ", expected a number");
          } else {
            RatingEvent e = d.value();
            long seconds = Math.floorDiv(e.getTimestamp(), 1000L);
            if (seconds >= fromSeconds && seconds <= toSeconds) {
              kept.add(
                  new Keyed(
                      new Rating(e.getUserId(), e.getMovieId(), seconds, e.getRating()),
                      r.partition(),
                      r.offset()));
            }
          }
        }
        // Transaction markers and aborted records occupy offsets that poll never returns.
        for (TopicPartition tp : List.copyOf(remaining.keySet())) {
          if (c.position(tp) >= remaining.get(tp)) {
            remaining.remove(tp);
            c.pause(List.of(tp));
          }
        }
        if (System.nanoTime() - lastProgress > STALL_LIMIT.toNanos()) {
          throw new IllegalStateException(
              "reading "
                  + slice.topic()
                  + " stalled for "
                  + STALL_LIMIT.toSeconds()
                  + " s before the end offsets "
                  + remaining);
        }
      }
    }
    if (!skipped.isEmpty()) {
      LOG.warn(
          "skipped {} record(s) of {} that are not ratings; first: {}",
          skipped.size(),
          slice.topic(),
          skipped.get(0));
    }
    kept.sort(
        Comparator.comparingLong((Keyed k) -> k.rating.timestamp())
            .thenComparingInt(k -> k.partition)
            .thenComparingLong(k -> k.offset));
    return new Read(kept.stream().map(Keyed::rating).toList(), skipped);
  }

  private record Keyed(Rating rating, int partition, long offset) {}

  private static List<TopicPartition> partitions(KafkaConsumer<?, ?> c, String topic) {
    List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalArgumentException("ratings topic '" + topic + "' does not exist");
    }
    return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
