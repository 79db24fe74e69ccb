package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.onnx.OnnxExporter;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code publish} registers and announces a bundle built elsewhere; {@code rollback} re-announces.
 */
class PublishCommandsTest {
  @Test
  void publishRegistersAndAnnouncesAndRollbackReannouncesAnOlderVersion(@TempDir Path tmp)
      throws Exception {
    Split split =
        Splits.byTime(
            new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(5_000))
                .generate()
                .ratings());
    RankingModel m =
        new Trainer()
            .train(
                split.train(),
                split.valid(),
                ModelConfig.builder().embeddingDim(4).hiddenLayers(4).epochs(1).build(),
                TrainingListener.NONE);
    Path bundle = Files.createDirectories(tmp.resolve("elsewhere"));
    byte[] onnx = new OnnxExporter().export(m, "v7", Map.of());
    Manifest manifest =
        Bundles.manifest(
            m,
            onnx,
            "v7",
            null,
            Manifest.DataWindow.ofEpochSeconds(0, 1),
            Map.of(),
            split.valid(),
            null);
    Files.write(bundle.resolve(ModelRegistry.MODEL_FILE), onnx);
    Files.write(bundle.resolve(ModelRegistry.MANIFEST_FILE), manifest.toJson());
    Path registry = tmp.resolve("registry");

    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(Topics.defaults(), 1);
      String servers = kafka.bootstrapServers();
      assertThat(
              run(
                  "publish",
                  "--bundle",
                  bundle.toString(),
                  "--registry",
                  registry.toString(),
                  "--bootstrap-servers",
                  servers))
          .isZero();
      assertThat(new ModelRegistry(registry.toUri().toString()).versions()).containsExactly("v7");
      assertThat(
              run(
                  "rollback",
                  "--version",
                  "v7",
                  "--registry",
                  registry.toString(),
                  "--bootstrap-servers",
                  servers))
          .isZero();
      StringWriter err = new StringWriter();
      assertThat(
              run(
                  err,
                  "rollback",
                  "--version",
                  "v9",
                  "--registry",
                  registry.toString(),
                  "--bootstrap-servers",
                  servers))
          .isEqualTo(2);
      assertThat(err.toString()).contains("version v9 is not in").contains("v7");

      // --shadow asks for a shadow trial (published to a second registry: v7 is in the first).
      assertThat(
              run(
                  "publish",
                  "--bundle",
                  bundle.toString(),
                  "--registry",
                  tmp.resolve("shadow-registry").toString(),
                  "--bootstrap-servers",
                  servers,
                  "--shadow"))
          .isZero();

      List<ModelUpdate> announced = read(servers, 3);
      assertThat(announced).extracting(ModelUpdate::getVersion).containsExactly("v7", "v7", "v7");
      assertThat(announced)
          .extracting(ModelUpdate::getRollback)
          .containsExactly(false, true, false);
      assertThat(announced).extracting(ModelUpdate::getShadow).containsExactly(false, false, true);
      assertThat(announced.get(0).getSha256()).isEqualTo(manifest.modelSha256());
    }
    // A broken bundle is refused before anything is registered or announced.
    Files.write(bundle.resolve(ModelRegistry.MODEL_FILE), new byte[] {1, 2, 3});
    StringWriter err = new StringWriter();
    assertThat(
            run(
                err,
                "publish",
                "--bundle",
                bundle.toString(),
                "--registry",
                tmp.resolve("r2").toString(),
                "--bootstrap-servers",
                "127.0.0.1:1"))
        .isNotZero();
  }

  private static int run(String... args) {
    return run(new StringWriter(), args);
  }

  private static int run(StringWriter err, String... args) {
    CommandLine cl = StreamrankCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private static List<ModelUpdate> read(String servers, int n) {
    Properties p = new Properties();
    p.put("bootstrap.servers", servers);
    p.put("group.id", "publish-test");
    p.put("auto.offset.reset", "earliest");
    List<ModelUpdate> out = new ArrayList<>();
    try (var c =
        new KafkaConsumer<>(
            p, new StringDeserializer(), Topics.defaults().modelUpdates().deserializer())) {
      c.subscribe(List.of("model-updates"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }
}
