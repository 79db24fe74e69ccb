package io.streamrank.local;

import io.streamrank.datasets.Rating;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Replays ratings in timestamp order as a live stream: each rating becomes an event on {@code
 * events} (the request to score), then its rating on {@code ratings} (the label), both keyed by
 * user id so a user's records stay in one partition. Rate-controlled or as fast as possible.
 * Idempotent producer with {@code acks=all}: what {@link #replay} counts as sent, the broker has.
 */
public final class ReplayProducer implements AutoCloseable {
  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final AtomicLong sent = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicReference<Exception> failure =
      new java.util.concurrent.atomic.AtomicReference<>();

  public ReplayProducer(String bootstrapServers, Topics topics) {
    this(KafkaClientFile.load(null, bootstrapServers), topics);
  }

  /**
   * A producer that starts from {@code kafkaClient}: {@code bootstrap.servers} and any client
   * settings the brokers need (security.protocol, sasl.mechanism, sasl.jaas.config, ...).
   */
  public ReplayProducer(Properties kafkaClient, Topics topics) {
    this.topics = topics;
    Properties p = new Properties();
    p.putAll(kafkaClient);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(64 * 1024));
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** Id of the {@code index}-th replayed event; unique within a replay. */
  public static String eventId(String prefix, long index) {
    return prefix + index;
  }

  /**
   * Sends every rating as an event and then its label.
   *
   * @param ratings in the order to send (timestamp order)
   * @param eventsPerSecond target rate; 0 or less means as fast as possible
   * @param idPrefix prefix of the event ids ({@link #eventId})
   * @return the number of events sent
   */
  public long replay(List<Rating> ratings, double eventsPerSecond, String idPrefix) {
    Pacer pacer = eventsPerSecond > 0 ? new Pacer(eventsPerSecond) : null;
    for (int i = 0; i < ratings.size(); i++) {
      if (pacer != null) {
        pacer.awaitDue(i);
      }
      Rating r = ratings.get(i);
      send(r, eventId(idPrefix, i), r.timestamp() * 1000);
    }
    flush();
    return ratings.size();
  }

  /**
   * Sends end-of-replay markers: for each of the {@code partitions} partitions of {@code events}
   * and {@code ratings}, up to {@code perPartition} events with their labels, from distinct users
   * of {@code ratings} whose records live in that partition, at event time {@code eventTimeMs}.
   * They are ordinary events, scored and counted like the others. A Kafka source never ends, so
   * without them no watermark passes the end of the last monitor window and its reports never come
   * out.
   *
   * @param idPrefix prefix of the markers' event ids
   * @return the number of marker events sent
   */
  public long sendEndMarkers(
      List<Rating> ratings, int partitions, int perPartition, long eventTimeMs, String idPrefix) {
    int[] taken = new int[partitions];
    java.util.Set<Long> users = new java.util.HashSet<>();
    long n = 0;
    for (int i = ratings.size() - 1; i >= 0 && n < (long) partitions * perPartition; i--) {
      Rating r = ratings.get(i);
      String key = Long.toString(r.userId());
      // The default partitioner's choice for a keyed record.
      int partition =
          Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
      if (taken[partition] == perPartition || !users.add(r.userId())) {
        continue;
      }
      taken[partition]++;
      send(r, eventId(idPrefix, n++), eventTimeMs);
    }
    flush();
    return n;
  }

  /** Sends a rating as an event, then as its label, keyed by user id. */
  private void send(Rating r, String id, long eventTimeMs) {
    String key = Long.toString(r.userId());
    Event event =
        Event.newBuilder()
            .setEventId(id)
            .setUserId(r.userId())
            .setMovieId(r.movieId())
            .setTimestamp(eventTimeMs)
            .build();
    RatingEvent label =
        RatingEvent.newBuilder()
            .setEventId(id)
            .setUserId(r.userId())
            .setMovieId(r.movieId())
            .setTimestamp(eventTimeMs)
            .setRating(r.rating())
            .build();
    send(topics.events().name(), key, topics.events().codec().encode(event));
    send(topics.ratings().name(), key, topics.ratings().codec().encode(label));
    sent.incrementAndGet();
  }

  /**
   * Sends ratings to {@code ratings} alone, without events: the labels of the past, which a job
   * reading the topic from the start folds into its feature state before the live stream begins.
   *
   * @param ratings in timestamp order
   * @param idPrefix prefix of their event ids ({@link #eventId})
   */
  public void sendHistory(List<Rating> ratings, String idPrefix) {
    for (int i = 0; i < ratings.size(); i++) {
      Rating r = ratings.get(i);
      send(
          topics.ratings().name(),
          Long.toString(r.userId()),
          topics
              .ratings()
              .codec()
              .encode(
                  RatingEvent.newBuilder()
                      .setEventId(eventId(idPrefix, i))
                      .setUserId(r.userId())
                      .setMovieId(r.movieId())
                      .setTimestamp(r.timestamp() * 1000)
                      .setRating(r.rating())
                      .build()));
    }
    flush();
  }

  private void send(String topic, String key, byte[] value) {
    producer.send(
        new ProducerRecord<>(topic, key, value),
        (metadata, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
  }

  /** Sends raw bytes to {@code events}, as a broken or foreign producer would. */
  public void sendRawEvent(String key, byte[] value) {
    send(topics.events().name(), key, value);
    sent.incrementAndGet();
  }

  /** Events (and raw records) handed to the producer so far; for progress lines. */
  public long sentSoFar() {
    return sent.get();
  }

  /**
   * Waits until everything sent is acknowledged.
   *
   * @throws IllegalStateException when the broker refused a record, with its reason
   */
  public void flush() {
    producer.flush();
    Exception e = failure.get();
    if (e != null) {
      throw new IllegalStateException("replay failed: the broker refused a record: " + e, e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
