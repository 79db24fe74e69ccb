package io.streamrank.retrain;

import io.streamrank.schemas.Decoded;
import io.streamrank.schemas.RetrainRequest;
import io.streamrank.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Runs the retrain job on every record of {@code retrain-requests}, one at a time, committing the
 * request's offset only after it was handled: a crash re-runs the request, which {@link
 * RetrainService} makes idempotent. A request that cannot be decoded or fails is logged with its
 * reason and skipped, so one bad request never blocks the ones after it. The worker owns the
 * service and closes it when it stops.
 */
public final class RetrainWorker implements Runnable, AutoCloseable {
  private final RetrainService service;
  private final Topics topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Consumer<String> log;
  private final List<RetrainService.Outcome> outcomes = new CopyOnWriteArrayList<>();
  private volatile boolean running = true;

  public RetrainWorker(
      RetrainService service, String bootstrapServers, Topics topics, Consumer<String> log) {
    this(service, kafkaClient(bootstrapServers), topics, log);
  }

  /**
   * A worker whose consumer starts from {@code kafkaClient}: {@code bootstrap.servers} and any
   * client settings the brokers need (security.protocol, sasl.mechanism, sasl.jaas.config, ...).
   */
  public RetrainWorker(
      RetrainService service, Properties kafkaClient, Topics topics, Consumer<String> log) {
    this.service = service;
    this.topics = topics;
    this.log = log;
    Properties p = new Properties();
    p.putAll(kafkaClient);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "streamrank-retrain");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
    // Tuning takes minutes: allow it between polls.
    p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, Integer.toString(30 * 60 * 1000));
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(topics.retrainRequests().name()));
  }

  @Override
  public void run() {
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Decoded<RetrainRequest> d = topics.retrainRequests().codec().decode(r.value());
          if (!d.isOk()) {
            log.accept(
                "skipping retrain request at "
                    + r.topic()
                    + "["
                    + r.partition()
                    + "]@"
                    + r.offset()
                    + ": "
                    + d.failure());
          } else {
            try {
              RetrainService.Outcome o = service.handle(d.value());
              outcomes.add(o);
              log.accept(
                  "retrain "
                      + o.requestId()
                      + ": "
                      + (o.promoted() ? "promoted " : "kept serving; ")
                      + o.version()
                      + " ("
                      + o.reason()
                      + ")");
            } catch (Exception e) {
              outcomes.add(
                  new RetrainService.Outcome(
                      d.value().getRequestId(),
                      RetrainService.versionFor(d.value()),
                      false,
                      "failed: " + e,
                      Double.NaN,
                      Double.NaN,
                      0));
              log.accept("retrain " + d.value().getRequestId() + " failed: " + e);
            }
          }
          consumer.commitSync();
        }
      }
    } catch (WakeupException e) {
      running = false;
    } finally {
      consumer.close();
      try {
        service.close();
      } catch (Exception e) {
        log.accept("closing the retrain service failed: " + e);
      }
    }
  }

  private static Properties kafkaClient(String bootstrapServers) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }

  /** Every request handled so far, in order. */
  public List<RetrainService.Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
  }
}
