package io.streamrank.retrain;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.datasets.Rating;
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
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.RetrainRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A request is tuned, gated against the champion, published, announced; re-running is a no-op. */
class RetrainServiceTest {
  static final DataSpec DATA =
      DataSpec.synthetic(SyntheticGenerator.Options.defaults().withRatings(8_000), "time");
  static final ModelConfig BASE =
      ModelConfig.builder().embeddingDim(8).hiddenLayers(8).epochs(6).patience(2).build();

  @Test
  void promotedVersionIsPublishedBeforeItIsAnnouncedAndARerunIsIdempotent(@TempDir Path dir)
      throws Exception {
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    publishChampion(registry, "v0", 1);
    List<Boolean> inRegistryWhenAnnounced = new ArrayList<>();
    Recording announcer =
        new Recording() {
          @Override
          public void announce(ModelUpdate u) throws Exception {
            inRegistryWhenAnnounced.add(registry.versions().contains(u.getVersion()));
            super.announce(u);
          }
        };
    List<ModelUpdate> announced = announcer.announced;
    RetrainService service = service(registry, announcer, 0.0);
    RetrainRequest request = request("req-1");
    RetrainService.Outcome first = service.handle(request);
    assertThat(first.promoted()).as(first.reason()).isTrue();
    assertThat(first.candidateTestRmse()).isLessThan(first.championTestRmse());
    assertThat(registry.versions()).contains("r-req-1");
    assertThat(announced).extracting(ModelUpdate::getVersion).containsExactly("r-req-1");
    assertThat(inRegistryWhenAnnounced).containsExactly(true);
    assertThat(registry.load("r-req-1").manifest().parentVersion()).isEqualTo("v0");
    assertThat(announcer.reports)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getKind()).isEqualTo("retrain-run");
              assertThat(r.getMetrics()).containsEntry("promoted", 1.0);
              assertThat(r.getMessage()).startsWith("promoted: candidate test RMSE");
            });

    RetrainService.Outcome again = service.handle(request);
    assertThat(again.reason()).contains("already published");
    assertThat(announced).hasSize(2);
    assertThat(registry.versions()).containsExactlyInAnyOrder("v0", "r-req-1");
  }

  @Test
  void candidateThatDoesNotBeatTheChampionByTheMarginIsNeitherPublishedNorAnnounced(
      @TempDir Path dir) throws Exception {
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    publishChampion(registry, "v0", 6);
    Recording announcer = new Recording();
    List<ModelUpdate> announced = announcer.announced;
    RetrainService.Outcome o = service(registry, announcer, 5.0).handle(request("req-2"));
    assertThat(o.promoted()).isFalse();
    assertThat(announcer.reports)
        .singleElement()
        .satisfies(r -> assertThat(r.getMetrics()).containsEntry("promoted", 0.0));
    assertThat(o.reason()).contains("vs serving v0").contains("margin 5.0000");
    assertThat(announced).isEmpty();
    assertThat(registry.versions()).containsExactly("v0");
  }

  /** Keeps what the service announced and reported, in order. */
  static class Recording implements Announcer {
    final List<ModelUpdate> announced = new ArrayList<>();
    final List<MonitorReport> reports = new ArrayList<>();

    @Override
    public void announce(ModelUpdate update) throws Exception {
      announced.add(update);
    }

    @Override
    public void report(MonitorReport report) {
      reports.add(report);
    }
  }

  private static RetrainService service(ModelRegistry registry, Announcer a, double margin) {
    return new RetrainService(
        new RetrainService.Settings(DATA, 3, "random", "none", margin, BASE),
        new FlinkTrialExecutor(StreamExecutionEnvironment.createLocalEnvironment(2), 2),
        registry,
        a,
        line -> {});
  }

  private static RetrainRequest request(String id) {
    return RetrainRequest.newBuilder()
        .setRequestId(id)
        .setReason("test")
        .setServingVersion("v0")
        .setWindowStart(0)
        .setWindowEnd(Long.MAX_VALUE)
        .setRequestedAt(0)
        .build();
  }

  private static void publishChampion(ModelRegistry registry, String version, int epochs)
      throws Exception {
    DataSpec.Loaded d = DATA.load();
    List<Rating> early = d.split().train().subList(0, d.split().train().size() / 4);
    RankingModel m =
        new Trainer()
            .train(
                early,
                d.split().valid(),
                BASE.toBuilder().epochs(epochs).build(),
                TrainingListener.NONE);
    byte[] onnx = new OnnxExporter().export(m, version, Map.of());
    registry.publish(
        onnx,
        Bundles.manifest(
            m,
            onnx,
            version,
            null,
            Manifest.DataWindow.ofEpochSeconds(0, 1),
            Map.of(),
            d.split().valid(),
            null));
  }
}
