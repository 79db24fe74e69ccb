package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamrank.local.DeploymentFiles.Acl;
import io.streamrank.local.DeploymentFiles.QueriedMetric;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.ScoringOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code docker-compose.yml} and {@code deploy/}, checked without a Docker engine: the services are
 * there, every image is pinned, nothing is published beyond 127.0.0.1, every long-running service
 * has a health check, state lives in named volumes, the Kafka ACL bootstrap denies what it must,
 * the gpu profile asks for an NVIDIA device, and the Grafana dashboard queries metrics the job
 * registers.
 */
class DeploymentFilesTest {
  static Map<String, Object> compose;

  /** By name; SnakeYAML resolves the merge keys (<<) of the TaskManager templates. */
  static Map<String, Map<String, Object>> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws Exception {
    compose = DeploymentFiles.compose();
    services = (Map<String, Map<String, Object>>) compose.get("services");
  }

  @Test
  void everyPartOfTheClusterIsAService() {
    assertThat(services)
        .containsKeys(
            "kafka",
            "kafka-setup",
            "model-init",
            "jobmanager",
            "taskmanager",
            "taskmanager-gpu",
            "retrain",
            "prometheus",
            "grafana");
    assertThat(String.valueOf(services.get("jobmanager").get("command")))
        .contains("standalone-job", "io.streamrank.streaming.KafkaScoringJob");
    assertThat(String.valueOf(services.get("retrain").get("command"))).contains("retrain-worker");
  }

  @Test
  void imagesArePinned() throws Exception {
    for (var e : services.entrySet()) {
      String image = (String) e.getValue().get("image");
      assertThat(image).as("image of service %s", e.getKey()).isNotBlank();
      assertPinned(image, "service " + e.getKey());
    }
    try (var files = Files.walk(DeploymentFiles.root().resolve("deploy"))) {
      for (Path f :
          files.filter(f -> f.getFileName().toString().startsWith("Dockerfile")).toList()) {
        for (String line : Files.readAllLines(f)) {
          if (line.startsWith("FROM ")) {
            assertPinned(line.split("\\s+")[1], f.toString());
          }
        }
      }
    }
  }

  private static void assertPinned(String image, String where) {
    String tag = image.contains(":") ? image.substring(image.lastIndexOf(':') + 1) : "";
    assertThat(tag)
        .as("tag of %s in %s", image, where)
        .isNotEmpty()
        .isNotEqualTo("latest")
        .doesNotContain("/")
        .doesNotContain("$")
        .containsPattern("[0-9]");
  }

  @Test
  @SuppressWarnings("unchecked")
  void publishedPortsAreBoundToLoopback() {
    int published = 0;
    for (var e : services.entrySet()) {
      for (Object port : (List<Object>) e.getValue().getOrDefault("ports", List.of())) {
        published++;
        if (port instanceof Map<?, ?> longSyntax) {
          assertThat(longSyntax.get("host_ip"))
              .as("%s: %s", e.getKey(), port)
              .isEqualTo("127.0.0.1");
        } else {
          assertThat(port.toString())
              .as("port of %s", e.getKey())
              .matches("127\\.0\\.0\\.1:[0-9]+:[0-9]+");
        }
      }
    }
    assertThat(published).as("the UIs and Kafka's host listener are published").isEqualTo(4);
  }

  @Test
  @SuppressWarnings("unchecked")
  void longRunningServicesHaveHealthChecks() {
    for (var e : services.entrySet()) {
      if ("no".equals(e.getValue().get("restart"))) {
        continue; // one-shot setup services
      }
      Map<String, Object> check = (Map<String, Object>) services.get(e.getKey()).get("healthcheck");
      assertThat(check).as("healthcheck of %s", e.getKey()).isNotNull();
      assertThat(check.get("test")).as("healthcheck test of %s", e.getKey()).isNotNull();
    }
    assertThat(services.get("jobmanager").get("depends_on").toString())
        .contains("service_completed_successfully");
  }

  @Test
  @SuppressWarnings("unchecked")
  void stateLivesInDeclaredNamedVolumes() {
    Map<String, Object> declared = (Map<String, Object>) compose.get("volumes");
    assertThat(declared)
        .containsKeys("kafka-data", "registry", "flink-state", "prometheus-data", "grafana-data");
    for (var e : services.entrySet()) {
      for (Object v : (List<Object>) services.get(e.getKey()).getOrDefault("volumes", List.of())) {
        String source = v.toString().split(":")[0];
        assertThat(declared).as("volume %s of %s", source, e.getKey()).containsKey(source);
      }
    }
    for (String s :
        List.of("model-init", "jobmanager", "taskmanager", "taskmanager-gpu", "retrain")) {
      assertThat((List<Object>) services.get(s).get("volumes"))
          .as("volumes of %s", s)
          .contains("registry:/registry");
    }
    assertThat((List<Object>) services.get("taskmanager").get("volumes"))
        .contains("flink-state:/flink-state");
  }

  @Test
  void kafkaAuthenticatesAndAuthorizes() {
    Map<String, Object> env = environment("kafka");
    assertThat(env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").toString())
        .doesNotContain(":PLAINTEXT")
        .doesNotContain(":SSL");
    assertThat(env.get("KAFKA_AUTHORIZER_CLASS_NAME"))
        .isEqualTo("org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    assertThat(env.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND")).isEqualTo("false");
    assertThat(env.get("KAFKA_SUPER_USERS")).isEqualTo("User:admin");
    assertThat(compose.get("configs").toString()).contains("deploy/kafka/acls.txt");
    assertThat(String.valueOf(services.get("kafka-setup").get("configs"))).contains("kafka-acls");
  }

  @Test
  void aclBootstrapDeniesWhatItMust() throws Exception {
    List<Acl> acls = DeploymentFiles.acls();
    Topics t = Topics.defaults();
    // The scoring job cannot announce models; the retrain job cannot read predictions.
    assertThat(authorized(acls, "User:scoring", "Write", t.modelUpdates().name())).isFalse();
    // Shadow decisions go to their own topic, which only the scoring job uses.
    assertThat(authorized(acls, "User:scoring", "Write", t.modelDecisions().name())).isTrue();
    assertThat(authorized(acls, "User:scoring", "Read", t.modelDecisions().name())).isTrue();
    assertThat(authorized(acls, "User:retrain", "Write", t.modelDecisions().name())).isFalse();
    assertThat(authorized(acls, "User:producer", "Write", t.modelDecisions().name())).isFalse();
    assertThat(authorized(acls, "User:retrain", "Read", t.predictions().name())).isFalse();
    // ... explicitly, so that a broader allow added later cannot undo it.
    assertThat(acls)
        .anyMatch(a -> !a.allow() && a.matches("User:scoring", "Write", "Topic", "model-updates"))
        .anyMatch(a -> !a.allow() && a.matches("User:retrain", "Read", "Topic", "predictions"));
    // What each job needs is allowed, and nothing else is.
    for (String in : List.of(t.events().name(), t.ratings().name(), t.modelUpdates().name())) {
      assertThat(authorized(acls, "User:scoring", "Read", in)).as("scoring reads %s", in).isTrue();
    }
    for (String out :
        List.of(
            t.predictions().name(),
            t.monitoring().name(),
            t.retrainRequests().name(),
            t.deadLetters().name())) {
      assertThat(authorized(acls, "User:scoring", "Write", out))
          .as("scoring writes %s", out)
          .isTrue();
      assertThat(authorized(acls, "User:producer", "Write", out)).as("producer %s", out).isFalse();
    }
    assertThat(
            DeploymentFiles.authorized(
                acls, "User:scoring", "Write", "TransactionalId", "streamrank-scoring-predictions"))
        .isTrue();
    assertThat(
            DeploymentFiles.authorized(acls, "User:scoring", "Read", "Group", "streamrank-scoring"))
        .isTrue();
    assertThat(authorized(acls, "User:retrain", "Read", t.retrainRequests().name())).isTrue();
    assertThat(authorized(acls, "User:retrain", "Write", t.modelUpdates().name())).isTrue();
    assertThat(authorized(acls, "User:retrain", "Read", t.events().name())).isFalse();
    assertThat(authorized(acls, "User:producer", "Write", t.events().name())).isTrue();
    assertThat(authorized(acls, "User:nobody", "Read", t.events().name())).isFalse();
  }

  @Test
  void kafkaSetupCreatesEveryTopicAndCompactsTheModelTopics() throws Exception {
    String script = Files.readString(DeploymentFiles.root().resolve("deploy/kafka/bootstrap.sh"));
    Topics t = Topics.defaults();
    for (var topic : t.all()) {
      assertThat(script).as("kafka-setup creates %s", topic.name()).contains(topic.name());
    }
    for (String compacted : t.topicConfigs().keySet()) {
      assertThat(script)
          .as("kafka-setup compacts %s", compacted)
          .contains("topic " + compacted + " 1 --config cleanup.policy=compact");
    }
  }

  private static boolean authorized(List<Acl> acls, String who, String op, String topic) {
    return DeploymentFiles.authorized(acls, who, op, "Topic", topic);
  }

  @Test
  @SuppressWarnings("unchecked")
  void gpuProfileRequestsAnNvidiaDeviceAndRunsTheCudaBuild() throws Exception {
    Map<String, Object> gpu = services.get("taskmanager-gpu");
    assertThat((List<Object>) gpu.get("profiles")).containsExactly("gpu");
    Map<String, Object> deploy = (Map<String, Object>) gpu.get("deploy");
    Map<String, Object> reservations =
        (Map<String, Object>) ((Map<String, Object>) deploy.get("resources")).get("reservations");
    List<Map<String, Object>> devices = (List<Map<String, Object>>) reservations.get("devices");
    assertThat(devices).hasSize(1);
    assertThat(devices.get(0).get("driver")).isEqualTo("nvidia");
    assertThat((List<Object>) devices.get(0).get("capabilities")).contains("gpu");
    String dockerfile = ((Map<String, Object>) gpu.get("build")).get("dockerfile").toString();
    assertThat(Files.readString(DeploymentFiles.root().resolve(dockerfile)))
        .contains("onnxruntime_gpu-")
        .contains("nvidia/cuda:");
    assertThat(services.get("taskmanager").get("profiles")).isNull();
    assertThat(String.valueOf(services.get("jobmanager").get("command"))).contains("auto");
  }

  @Test
  void flinkLoadsOnnxRuntimeParentFirstAndReportsToPrometheus() throws Exception {
    for (String s : List.of("jobmanager", "taskmanager", "taskmanager-gpu")) {
      String props = environment(s).get("FLINK_PROPERTIES").toString();
      assertThat(props)
          .as("FLINK_PROPERTIES of %s", s)
          .contains(
              "classloader.parent-first-patterns.additional: "
                  + ProcessCluster.ONNX_RUNTIME_PACKAGE)
          .contains(
              "metrics.reporter.prom.factory.class: " + ProcessCluster.PROMETHEUS_REPORTER_FACTORY)
          .contains("metrics.reporter.prom.port: 9249");
    }
    String prometheus =
        Files.readString(DeploymentFiles.root().resolve("deploy/prometheus/prometheus.yml"));
    assertThat(prometheus).contains("jobmanager:9249").contains("taskmanager").contains("9249");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theJobIsStartedWithSettingsItKnows() throws Exception {
    Set<String> known = new java.util.HashSet<>();
    for (var f : ScoringOptions.class.getFields()) {
      if (f.get(null) instanceof ConfigOption<?> o) {
        known.add(o.key());
      }
    }
    List<String> settings = new ArrayList<>();
    for (Object arg : (List<Object>) services.get("jobmanager").get("command")) {
      if (arg.toString().startsWith("--streamrank.")) {
        settings.add(arg.toString().substring(2));
      }
    }
    assertThat(settings).isNotEmpty();
    assertThat(known).containsAll(settings);
  }

  @Test
  void dashboardShowsThroughputLatencyDriftRmseAndModelVersion() throws Exception {
    JsonNode d = DeploymentFiles.dashboard();
    List<String> titles = new ArrayList<>();
    d.path("panels").forEach(p -> titles.add(p.path("title").asText().toLowerCase()));
    assertThat(String.join("|", titles))
        .contains("throughput", "p99", "drift", "rmse", "model version");
    String datasource =
        Files.readString(
            DeploymentFiles.root()
                .resolve("deploy/grafana/provisioning/datasources/prometheus.yml"));
    for (JsonNode p : d.path("panels")) {
      assertThat(p.path("targets").size()).as("queries of %s", p.path("title")).isPositive();
      assertThat(datasource).contains(p.path("datasource").path("uid").asText());
    }
  }

  /**
   * The window figures must be what the statistics report; every other metric is one the job
   * registers when its operator opens, which ProcessClusterIT finds in a real TaskManager's scrape.
   */
  @Test
  void dashboardQueriesMetricsTheJobRegisters() throws Exception {
    Set<QueriedMetric> queried = DeploymentFiles.queriedMetrics(DeploymentFiles.dashboard());
    assertThat(queried).hasSizeGreaterThan(10);
    Map<String, Set<String>> figures = DeploymentFiles.windowFigures();
    List<String> unknown = new ArrayList<>();
    for (QueriedMetric m : queried) {
      boolean known =
          m.monitorKind() != null
                  && figures.getOrDefault(m.monitorKind(), Set.of()).contains(m.jobName())
              || eagerMetric(m);
      if (!known) {
        unknown.add(
            m.name() + (m.monitorKind() == null ? "" : "{monitor=" + m.monitorKind() + "}"));
      }
    }
    assertThat(unknown).as("dashboard metrics the job does not register").isEmpty();
    assertThat(queried)
        .anyMatch(m -> m.jobName().equals("rmse") && "error".equals(m.monitorKind()));
    assertThat(queried)
        .anyMatch(m -> m.jobName().equals("prediction_psi") && "drift".equals(m.monitorKind()));
  }

  /** Metrics registered when an operator opens (ProcessClusterIT checks each in a scrape). */
  static boolean eagerMetric(QueriedMetric m) {
    Map<String, Set<String>> byKind =
        Map.of(
            "latency", Set.of("processingLatencyMs", "eventTimeLagMs", "predictionsPerSecond"),
            "trigger", Set.of("retrainRequests", "openRequest"));
    if (m.monitorKind() != null) {
      return byKind.getOrDefault(m.monitorKind(), Set.of()).contains(m.jobName());
    }
    return Set.of(
            "predictions",
            "scoringBatches",
            "modelSwaps",
            "modelRejections",
            "batchLatencyMicros",
            "batchSize",
            "servingModelCreatedAt")
        .contains(m.jobName());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> environment(String service) {
    return (Map<String, Object>) services.get(service).get("environment");
  }
}
