package io.streamrank.local;

import io.streamrank.schemas.Topic;
import io.streamrank.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (one combined broker/controller node) started in this
 * process from Kafka's own server classes, with a temporary data directory removed on close. Every
 * listener binds to 127.0.0.1 on a free port.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final KafkaClusterTestKit cluster;
  private final Path dataDir;

  private EmbeddedKafka(KafkaClusterTestKit cluster, Path dataDir) {
    this.cluster = cluster;
    this.dataDir = dataDir;
  }

  /** Starts a single-node KRaft broker and waits until it accepts clients. */
  public static EmbeddedKafka start() throws Exception {
    Path dataDir = Files.createTempDirectory("streamrank-kafka-");
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .setBaseDirectory(dataDir)
            .build();
    KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(nodes)
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("auto.create.topics.enable", "false")
            .setConfigProp("log.flush.interval.messages", Long.toString(Long.MAX_VALUE))
            .setDeleteOnClose(true)
            .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      deleteQuietly(dataDir);
      throw e;
    }
    EmbeddedKafka kafka = new EmbeddedKafka(cluster, dataDir);
    LOG.info("Kafka broker (KRaft) up at {}", kafka.bootstrapServers());
    return kafka;
  }

  /** The broker's address, for clients. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Admin client properties for this broker. */
  public Properties clientProperties() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return p;
  }

  /** Creates every streamrank topic (compacted {@code model-updates}); existing ones are kept. */
  public void createTopics(Topics topics, int partitions) throws Exception {
    List<NewTopic> wanted = new ArrayList<>();
    Map<String, Map<String, String>> configs = topics.topicConfigs();
    for (Topic<?> t : topics.all()) {
      boolean compacted = configs.containsKey(t.name());
      NewTopic nt = new NewTopic(t.name(), compacted ? 1 : partitions, (short) 1);
      nt.configs(configs.getOrDefault(t.name(), Map.of()));
      wanted.add(nt);
    }
    try (Admin admin = Admin.create(clientProperties())) {
      for (NewTopic nt : wanted) {
        try {
          admin.createTopics(List.of(nt)).all().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    }
  }

  /** Stops the broker and removes its data directory. */
  @Override
  public void close() throws Exception {
    try {
      cluster.close();
    } finally {
      deleteQuietly(dataDir);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (java.io.IOException e) {
                  LOG.warn("Could not delete {}: {}", p, e.toString());
                }
              });
    } catch (java.io.IOException e) {
      LOG.warn("Could not clean up {}: {}", dir, e.toString());
    }
  }
}
