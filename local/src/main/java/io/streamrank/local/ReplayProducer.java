package io.streamrank.local;

import io.streamrank.datasets.Rating;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.schemas.Topics;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

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
    this.topics = topics;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
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
    long start = System.nanoTime();
    double nanosPerEvent = eventsPerSecond > 0 ? 1e9 / eventsPerSecond : 0;
    for (int i = 0; i < ratings.size(); i++) {
      if (nanosPerEvent > 0) {
        long due = start + (long) (i * nanosPerEvent);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
      Rating r = ratings.get(i);
      String key = Long.toString(r.userId());
      String id = eventId(idPrefix, i);
      long eventTime = r.timestamp() * 1000;
      Event event =
          Event.newBuilder()
              .setEventId(id)
              .setUserId(r.userId())
              .setMovieId(r.movieId())
              .setTimestamp(eventTime)
              .build();
      RatingEvent label =
          RatingEvent.newBuilder()
              .setEventId(id)
              .setUserId(r.userId())
              .setMovieId(r.movieId())
              .setTimestamp(eventTime)
              .setRating(r.rating())
              .build();
      send(topics.events().name(), key, topics.events().codec().encode(event));
      send(topics.ratings().name(), key, topics.ratings().codec().encode(label));
      sent.incrementAndGet();
    }
    flush();
    return ratings.size();
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
