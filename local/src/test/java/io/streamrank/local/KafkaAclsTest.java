package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.datasets.Rating;
import io.streamrank.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ACLs of {@code deploy/kafka/acls.txt}, the ones the docker-compose cluster's setup applies,
 * enforced by a real broker run as docker-compose runs it (SASL/PLAIN, StandardAuthorizer, no
 * access without an ACL): the scoring job's principal cannot announce a model, the retrain job's
 * cannot read predictions, and each can do what its job needs.
 */
class KafkaAclsTest {
  static EmbeddedKafka kafka;
  static final Topics TOPICS = Topics.defaults();

  @BeforeAll
  static void start() throws Exception {
    kafka =
        EmbeddedKafka.startSecured(
            Map.of(
                "admin", "admin-secret",
                "scoring", "scoring-secret",
                "retrain", "retrain-secret",
                "producer", "producer-secret"));
    kafka.createTopics(TOPICS, 1);
    List<AclBinding> bindings = new ArrayList<>();
    for (DeploymentFiles.Acl a : DeploymentFiles.acls()) {
      bindings.add(
          new AclBinding(
              new ResourcePattern(
                  ResourceType.fromString(constant(a.resourceType())),
                  a.name(),
                  a.prefixed() ? PatternType.PREFIXED : PatternType.LITERAL),
              new AccessControlEntry(
                  a.principal(),
                  "*",
                  AclOperation.fromString(constant(a.operation())),
                  a.allow() ? AclPermissionType.ALLOW : AclPermissionType.DENY)));
    }
    assertThat(bindings).allSatisfy(b -> assertThat(b.isUnknown()).as("%s", b).isFalse());
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      admin.createAcls(bindings).all().get(30, TimeUnit.SECONDS);
    }
  }

  /** Kafka's enum constant for an ACL file word: TransactionalId is TRANSACTIONAL_ID. */
  private static String constant(String word) {
    return word.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase();
  }

  @AfterAll
  static void stop() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void scoringPrincipalCannotWriteModelUpdatesButWritesPredictionsAndDecisions() throws Exception {
    try (KafkaProducer<byte[], byte[]> p = producer("scoring")) {
      assertThatThrownBy(() -> send(p, TOPICS.modelUpdates().name()))
          .hasRootCauseInstanceOf(TopicAuthorizationException.class)
          .hasMessageContaining(TOPICS.modelUpdates().name());
    }
    try (KafkaProducer<byte[], byte[]> p = producer("scoring")) {
      send(p, TOPICS.predictions().name());
      send(p, TOPICS.modelDecisions().name());
    }
  }

  @Test
  void retrainPrincipalCannotReadPredictionsButWritesModelUpdates() throws Exception {
    try (KafkaProducer<byte[], byte[]> p = producer("retrain")) {
      send(p, TOPICS.modelUpdates().name());
    }
    Properties c = kafka.clientProperties("retrain");
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "streamrank-retrain");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(TOPICS.predictions().name()));
      assertThatThrownBy(
              () -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (System.nanoTime() < deadline) {
                  consumer.poll(Duration.ofMillis(200));
                }
              })
          .isInstanceOf(TopicAuthorizationException.class)
          .hasMessageContaining(TOPICS.predictions().name());
    }
  }

  @Test
  void producerPrincipalReplaysEventsAndRatings() {
    Properties client = kafka.clientProperties("producer");
    try (ReplayProducer replay = new ReplayProducer(client, TOPICS)) {
      long sent = replay.replay(List.of(new Rating(1, 2, 1_000_000L, 4f)), 0, "acl-");
      replay.flush();
      assertThat(sent).isEqualTo(1);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String user) {
    Properties p = kafka.clientProperties(user);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void send(KafkaProducer<byte[], byte[]> p, String topic) throws Exception {
    p.send(new ProducerRecord<>(topic, new byte[] {1}, new byte[] {1})).get(15, TimeUnit.SECONDS);
  }
}
