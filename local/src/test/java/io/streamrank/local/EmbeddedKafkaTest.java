package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.streamrank.schemas.Event;
import io.streamrank.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
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
    assumeTrue(Files.isReadable(Path.of("/proc/self/net/tcp")), "needs Linux /proc/self/net");
    Topics topics = Topics.defaults();
    Set<String> threadsBefore = threadNames();
    Set<Listen> listenBefore = ownListeningSockets();
    Set<Integer> brokerPorts;
    Path dataDir;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      assertThat(kafka.bootstrapServers()).matches("(localhost|127\\.0\\.0\\.1):\\d+(,.*)?");
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.port());

      // Every TCP socket this process started listening on is bound to 127.0.0.1, and they are
      // the broker's client and controller listeners.
      Set<Listen> opened = ownListeningSockets();
      opened.removeAll(listenBefore);
      assertThat(opened).as("new listening sockets").isNotEmpty();
      assertThat(opened)
          .as("new listening sockets bind 127.0.0.1 only")
          .allSatisfy(l -> assertThat(l.isIpv4Loopback()).as(l.toString()).isTrue());
      brokerPorts = opened.stream().map(Listen::port).collect(Collectors.toSet());
      assertThat(brokerPorts)
          .containsExactlyInAnyOrder(kafka.port(), kafka.controllerPort())
          .doesNotContain(0);
      kafka.createTopics(topics, 3);
      kafka.createTopics(topics, 3); // idempotent
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        Map<String, TopicDescription> d =
            admin
                .describeTopics(List.of("events", "model-updates", "model-decisions"))
                .allTopicNames()
                .get();
        assertThat(d.get("events").partitions()).hasSize(3);
        for (String compacted : List.of("model-updates", "model-decisions")) {
          assertThat(d.get(compacted).partitions()).as(compacted).hasSize(1);
          ConfigResource mu = new ConfigResource(ConfigResource.Type.TOPIC, compacted);
          assertThat(
                  admin
                      .describeConfigs(List.of(mu))
                      .all()
                      .get()
                      .get(mu)
                      .get("cleanup.policy")
                      .value())
              .as(compacted)
              .isEqualTo("compact");
        }
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
      dataDir = kafka.dataDir();
      assertThat(dataDir.getFileName().toString()).startsWith("streamrank-kafka-");
      assertThat(dataDir).isDirectory();
    }
    // After close nothing listens on the broker's ports any more.
    assertThat(ownListeningSockets().stream().map(Listen::port))
        .as("ports still listening after close")
        .doesNotContainAnyElementsOf(brokerPorts);
    // The broker's temporary data directory is gone. (Other processes may have their own
    // streamrank-kafka-* directories under java.io.tmpdir meanwhile, so only ours is checked.)
    assertThat(dataDir).doesNotExist();
    assertNoStrayThreads(threadsBefore);
  }

  @Test
  void twoBrokersOneAfterTheOtherInOneJvm() throws Exception {
    Set<String> threadsBefore = threadNames();
    int firstPort;
    Path firstDir;
    try (EmbeddedKafka first = EmbeddedKafka.start()) {
      firstPort = first.port();
      firstDir = first.dataDir();
      roundTrip(first, "first");
    }
    assertThat(firstDir).doesNotExist();
    Path secondDir;
    // The second broker takes the first one's port, fixed this time, right after it closed.
    try (EmbeddedKafka second = EmbeddedKafka.start("127.0.0.1", firstPort)) {
      assertThat(second.bootstrapServers()).isEqualTo("127.0.0.1:" + firstPort);
      secondDir = second.dataDir();
      assertThat(secondDir).isNotEqualTo(firstDir);
      roundTrip(second, "second");
      // A fresh broker: nothing the first one had survives.
      try (Admin admin = Admin.create(second.clientProperties())) {
        assertThat(admin.listTopics().names().get()).containsExactly("second");
      }
    }
    assertThat(secondDir).doesNotExist();
    assertNoStrayThreads(threadsBefore);
  }

  /** Creates {@code topic}, writes one record to it in a transaction and reads it back. */
  private static void roundTrip(EmbeddedKafka kafka, String topic) throws Exception {
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    // Transactional, as Flink's exactly-once Kafka sink writes: the broker needs its transaction
    // state log on this single node.
    Properties pp = kafka.clientProperties();
    pp.put("transactional.id", "tx-" + topic);
    try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "v-" + topic));
      producer.commitTransaction();
    }
    Properties p = kafka.clientProperties();
    p.put("group.id", "g-" + topic);
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", "read_committed");
    try (var consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      String got = null;
      long deadline = System.currentTimeMillis() + 20_000;
      while (got == null && System.currentTimeMillis() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          got = r.value();
        }
      }
      assertThat(got).isEqualTo("v-" + topic);
    }
  }

  private static void assertNoStrayThreads(Set<String> threadsBefore) throws InterruptedException {
    Set<String> stray = Set.of();
    // Give threads a moment to finish exiting after close.
    for (int i = 0; i < 20; i++) {
      Thread.sleep(i == 0 ? 200 : 100);
      stray = threadNames();
      stray.removeAll(threadsBefore);
      // Kafka's Yammer metrics registry is JVM-wide and keeps its two daemon tick threads for
      // the life of the JVM, whichever broker started them; everything a broker owns must be gone.
      stray.removeIf(
          n ->
              n.startsWith("ForkJoinPool")
                  || n.contains("process reaper")
                  || n.startsWith("metrics-meter-tick-thread"));
      if (stray.isEmpty()) {
        break;
      }
    }
    assertThat(stray).as("threads left after close").isEmpty();
  }

  /** A TCP socket in LISTEN state, from /proc/net/tcp or tcp6. */
  private record Listen(String localAddressHex, int port, long inode) {
    boolean isIpv4Loopback() {
      // /proc prints each 32-bit word in host (little-endian) order: 127.0.0.1 is 0100007F, and
      // as an IPv4-mapped IPv6 address (::ffff:127.0.0.1) 0000000000000000FFFF00000100007F.
      return localAddressHex.equals("0100007F")
          || localAddressHex.equals("0000000000000000FFFF00000100007F");
    }
  }

  /** Listening sockets owned by this process (matched by inode against /proc/self/fd). */
  private static Set<Listen> ownListeningSockets() throws IOException {
    Set<Long> inodes = new HashSet<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return allListeningSockets().stream()
        .filter(l -> inodes.contains(l.inode()))
        .collect(Collectors.toCollection(HashSet::new));
  }

  private static Set<Listen> allListeningSockets() throws IOException {
    Set<Listen> out = new HashSet<>();
    for (String file : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
      Path path = Path.of(file);
      if (!Files.isReadable(path)) {
        continue;
      }
      List<String> lines = Files.readAllLines(path);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10 || !f[3].equals("0A")) {
          continue;
        }
        int colon = f[1].indexOf(':');
        out.add(
            new Listen(
                f[1].substring(0, colon).toUpperCase(Locale.ROOT),
                Integer.parseInt(f[1].substring(colon + 1), 16),
                Long.parseLong(f[9])));
      }
    }
    return out;
  }

  private static Set<String> threadNames() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .collect(Collectors.toSet());
  }
}
