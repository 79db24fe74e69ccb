package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.schemas.Event;
import io.streamrank.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {
  @Test
  void realBrokerOnLoopbackWithCompactedModelUpdatesAndCleanShutdown() throws Exception {
    Topics topics = Topics.defaults();
    Set<String> threadsBefore = threadNames();
    Path dataDir;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      assertThat(kafka.bootstrapServers()).matches("(localhost|127\\.0\\.0\\.1):\\d+(,.*)?");
      kafka.createTopics(topics, 3);
      kafka.createTopics(topics, 3); // idempotent
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        Map<String, TopicDescription> d =
            admin.describeTopics(List.of("events", "model-updates")).allTopicNames().get();
        assertThat(d.get("events").partitions()).hasSize(3);
        ConfigResource mu = new ConfigResource(ConfigResource.Type.TOPIC, "model-updates");
        assertThat(
                admin
                    .describeConfigs(List.of(mu))
                    .all()
                    .get()
                    .get(mu)
                    .get("cleanup.policy")
                    .value())
            .isEqualTo("compact");
      }
      Properties p = kafka.clientProperties();
      try (var producer =
          new KafkaProducer<>(p, new StringSerializer(), topics.events().serializer())) {
        producer
            .send(
                new ProducerRecord<>(
                    "events",
                    "1",
                    Event.newBuilder()
                        .setEventId("x")
                        .setUserId(1)
                        .setMovieId(2)
                        .setTimestamp(3)
                        .build()))
            .get();
      }
      p.put("group.id", "t");
      p.put("auto.offset.reset", "earliest");
      try (var consumer =
          new KafkaConsumer<>(p, new StringDeserializer(), topics.events().deserializer())) {
        consumer.subscribe(List.of("events"));
        ConsumerRecord<String, Event> got = null;
        long deadline = System.currentTimeMillis() + 30_000;
        while (got == null && System.currentTimeMillis() < deadline) {
          for (var r : consumer.poll(Duration.ofMillis(200))) {
            got = r;
          }
        }
        assertThat(got).isNotNull();
        assertThat(got.value().getEventId()).isEqualTo("x");
      }
      dataDir = Path.of(System.getProperty("java.io.tmpdir"));
    }
    try (var dirs = Files.list(dataDir)) {
      // Our broker's temp dir is gone (others' may exist; ours were all removed on close).
      assertThat(dirs.map(Path::toString).filter(s -> s.contains("streamrank-kafka-")).count())
          .isZero();
    }
    Thread.sleep(500);
    Set<String> stray = threadNames();
    stray.removeAll(threadsBefore);
    // Kafka's Yammer metrics registry is JVM-wide and keeps its two daemon tick threads for the
    // life of the JVM, whichever broker started them; everything a broker owns must be gone.
    stray.removeIf(
        n ->
            n.startsWith("ForkJoinPool")
                || n.contains("process reaper")
                || n.startsWith("metrics-meter-tick-thread"));
    assertThat(stray).as("threads left after close").isEmpty();
  }

  private static Set<String> threadNames() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .collect(Collectors.toSet());
  }
}
