package io.streamrank.model.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.streamrank.datasets.Rating;
import io.streamrank.model.RankingModel;
import io.streamrank.model.SyntheticRatings;
import io.streamrank.model.onnx.ModelSignature;
import io.streamrank.model.onnx.OnnxExporter;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.onnx.SharedScorers;
import io.streamrank.model.onnx.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
  private static RankingModel model;
  private static byte[] onnx;
  private static List<Rating> valid;

  @TempDir Path dir;

  @BeforeAll
  static void train() {
    model = TinyModels.trained(0);
    onnx = new OnnxExporter().export(model, "v1", Map.of());
    valid = SyntheticRatings.generate(50, 30, 300, 4);
  }

  private static Manifest manifest(String version, byte[] modelBytes) {
    return Bundles.manifest(
        model,
        modelBytes,
        version,
        null,
        Manifest.DataWindow.ofEpochSeconds(0, 100),
        Map.of("valid_rmse", 0.9, "test_rmse", Double.NaN),
        valid,
        null,
        null);
  }

  private ModelRegistry registry() {
    return new ModelRegistry(dir.toUri().toString());
  }

  @Test
  void publishThenLoadRoundTrips() throws Exception {
    Manifest m = manifest("v1", onnx);
    BundleRef ref = registry().publish(onnx, m);
    assertThat(ref.version()).isEqualTo("v1");
    assertThat(ref.sha256()).isEqualTo(SharedScorers.sha256(onnx));
    assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactly("v1");

    LoadedBundle b = registry().load("v1");
    assertThat(b.onnx()).isEqualTo(onnx);
    assertThat(b.manifest().toJsonTree()).isEqualTo(m.toJsonTree());
    assertThat(b.manifest().metrics())
        .containsEntry("valid_rmse", 0.9)
        .doesNotContainKey("test_rmse");
    assertThat(b.manifest().config()).isEqualTo(model.config());
    assertThat(b.manifest().golden()).hasSize(Bundles.GOLDEN_ROWS);
    Histogram h = b.manifest().referenceHistograms().get(Manifest.PREDICTION_HISTOGRAM);
    assertThat(h.count()).isEqualTo(valid.size());
    assertThat(java.util.Arrays.stream(h.fractions()).sum())
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    String json =
        new String(
            Files.readAllBytes(dir.resolve("v1/manifest.json")),
            java.nio.charset.StandardCharsets.UTF_8);
    assertThat(json)
        .contains(
            "\"parent_version\"",
            "\"data_window\"",
            "\"model_sha256\"",
            "\"reference_histograms\"",
            "\"user_id\"");
    try (OnnxScorer scorer = OnnxScorer.open(b.onnx(), ScorerOptions.defaults())) {
      assertThat(b.manifest().checkGolden(scorer, 1e-5f)).isLessThan(1e-5);
    }
    assertThat(registry().load(b.uri()).version()).isEqualTo("v1");
  }

  @Test
  void republishingTheSameContentIsIdempotentAndDifferentContentIsRefused() throws Exception {
    Manifest m = manifest("v1", onnx);
    BundleRef first = registry().publish(onnx, m);
    assertThat(registry().publish(onnx, m)).isEqualTo(first);
    byte[] other = new OnnxExporter().export(model, "v1", Map.of("note", "different"));
    assertThatThrownBy(() -> registry().publish(other, manifest("v1", other)))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("version v1 already exists with different content");
    assertThat(registry().load("v1").onnx()).isEqualTo(onnx);
    assertThat(registry().versions()).containsExactly("v1");
  }

  @Test
  void versionsAndLatest() throws Exception {
    assertThat(registry().latest()).isEmpty();
    registry().publish(onnx, withCreatedAt(manifest("b", onnx), "2024-01-02T00:00:00Z"));
    registry().publish(onnx, withCreatedAt(manifest("a", onnx), "2024-03-01T00:00:00Z"));
    registry().publish(onnx, withCreatedAt(manifest("c", onnx), "2024-02-01T00:00:00Z"));
    Files.createDirectories(dir.resolve(".tmp-x-123"));
    assertThat(registry().versions()).containsExactly("a", "b", "c");
    assertThat(registry().latest()).contains("a");
  }

  @Test
  void refusesBadVersionNames() {
    assertThatThrownBy(() -> registry().publish(onnx, manifest("../x", onnx)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version must match");
    assertThatThrownBy(
            () -> registry().publish(onnx, manifest(ModelRegistry.UNMATCHED_VERSION, onnx)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserved");
  }

  @Test
  void manifestAloneIsReadWithoutTheModel() throws Exception {
    Manifest m = manifest("v1", onnx);
    registry().publish(onnx, m);
    Files.delete(dir.resolve("v1/model.onnx"));
    assertThat(registry().manifest("v1").toJsonTree()).isEqualTo(m.toJsonTree());
    assertThat(registry().manifest("v1").referenceHistograms()).isEqualTo(m.referenceHistograms());
    assertThatThrownBy(() -> registry().manifest("v2"))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("missing");
  }

  @Test
  void missingFiles() throws Exception {
    registry().publish(onnx, manifest("v1", onnx));
    Files.delete(dir.resolve("v1/model.onnx"));
    assertRejected("v1", "model.onnx", "missing");
    Files.delete(dir.resolve("v1/manifest.json"));
    assertRejected("v1", "manifest.json", "missing");
    assertRejected("v2", "v2", "no such bundle directory");
  }

  @Test
  void unparsableManifest() throws Exception {
    registry().publish(onnx, manifest("v1", onnx));
    Files.writeString(dir.resolve("v1/manifest.json"), "{\"version\": ");
    assertRejected("v1", "manifest.json", "not a valid manifest");
  }

  @Test
  void truncatedModel() throws Exception {
    registry().publish(onnx, manifest("v1", onnx));
    Files.write(dir.resolve("v1/model.onnx"), java.util.Arrays.copyOf(onnx, onnx.length / 2));
    assertRejected(
        "v1",
        "model.onnx",
        "has " + onnx.length / 2 + " bytes, manifest.json says " + onnx.length + " (truncated)");
  }

  @Test
  void corruptModel() throws Exception {
    registry().publish(onnx, manifest("v1", onnx));
    byte[] flipped = onnx.clone();
    flipped[flipped.length / 2] ^= 0x55;
    Files.write(dir.resolve("v1/model.onnx"), flipped);
    assertRejected("v1", "model.onnx", "sha256 is " + SharedScorers.sha256(flipped));
  }

  @Test
  void notAnOnnxProtobufEvenWithAMatchingChecksum() throws Exception {
    byte[] garbage = java.util.Arrays.copyOf(onnx, onnx.length - 7);
    writeBundle("v1", garbage, manifest("v1", garbage));
    assertRejected("v1", "model.onnx", "is not a valid ONNX protobuf (truncated or corrupt)");
  }

  @Test
  void externalDataIsRejected() throws Exception {
    ModelProto p = ModelProto.parseFrom(onnx);
    ModelProto.Builder b = p.toBuilder();
    TensorProto t = b.getGraph().getInitializer(0);
    b.getGraphBuilder()
        .setInitializer(
            0,
            t.toBuilder()
                .clearRawData()
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(
                    StringStringEntryProto.newBuilder()
                        .setKey("location")
                        .setValue("weights.bin")));
    byte[] external = b.build().toByteArray();
    assertThatThrownBy(() -> registry().publish(external, manifest("v1", external)))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining(
            "references ONNX external data (initializer '" + t.getName() + "' -> weights.bin)");
    writeBundle("v1", external, manifest("v1", external));
    assertRejected("v1", "model.onnx", "references ONNX external data");
  }

  @Test
  void signatureNotForScoring() throws Exception {
    byte[] bad =
        TinyModels.identityGraph(
            List.of("user_id", "movie_id"),
            List.of(DataType.INT64, DataType.INT32),
            "movie_id",
            "score");
    writeBundle("v1", bad, manifest("v1", bad));
    assertRejected("v1", "model.onnx", "found inputs [user_id:int64[-1], movie_id:int32[-1]]");
  }

  @Test
  void signatureDifferentFromTheManifest() throws Exception {
    Manifest m = manifest("v1", onnx);
    Manifest lying =
        new Manifest(
            m.formatVersion(),
            "v1",
            null,
            m.createdAt(),
            m.dataWindow(),
            m.hyperparameters(),
            m.metrics(),
            m.referenceHistograms(),
            m.modelSha256(),
            m.modelSizeBytes(),
            ModelSignature.expected(3),
            m.golden(),
            m.features(),
            m.vocabulary());
    writeBundle("v1", onnx, lying);
    assertRejected("v1", "model.onnx", "but manifest.json says");
  }

  @Test
  void manifestVersionMustBeTheDirectoryName() throws Exception {
    writeBundle("v2", onnx, manifest("v1", onnx));
    assertRejected("v2", "manifest.json", "declares version 'v1' but the bundle is 'v2'");
  }

  private void assertRejected(String version, String file, String reason) {
    assertThatThrownBy(() -> registry().load(version))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining(reason)
        .satisfies(e -> assertThat(((BundleException) e).file()).endsWith(file));
  }

  private void writeBundle(String dirName, byte[] model, Manifest m) throws IOException {
    Path d = Files.createDirectories(dir.resolve(dirName));
    Files.write(d.resolve("model.onnx"), model);
    Files.write(d.resolve("manifest.json"), m.toJson());
  }

  private static Manifest withCreatedAt(Manifest m, String at) {
    Instant.parse(at);
    return new Manifest(
        m.formatVersion(),
        m.version(),
        m.parentVersion(),
        at,
        m.dataWindow(),
        m.hyperparameters(),
        m.metrics(),
        m.referenceHistograms(),
        m.modelSha256(),
        m.modelSizeBytes(),
        m.signature(),
        m.golden(),
        m.features(),
        m.vocabulary());
  }
}
