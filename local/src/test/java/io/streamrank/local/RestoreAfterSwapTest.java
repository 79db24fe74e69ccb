package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ScoringOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TaskManager is killed right after a swap: the job restores from the checkpoint taken after the
 * swap and scores with the new version, read back from broadcast state (the announcement itself is
 * behind the restored source offset), with no event lost or duplicated.
 */
class RestoreAfterSwapTest {
  @Test
  void restoredJobScoresWithTheSwappedInVersion(@TempDir Path dir) throws Exception {
    List<Rating> ratings =
        new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(30_000))
            .generate()
            .ratings();
    Split split = Splits.byTime(ratings, 0.5, 0.6);
    ModelConfig small =
        ModelConfig.builder().embeddingDim(8).hiddenLayers(16).epochs(2).seed(1).build();
    InitialModel.Trained v1 =
        InitialModel.trainAndPublish(
            split.train(),
            split.valid(),
            dir,
            small,
            new PrintStream(PrintStream.nullOutputStream()));
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    Thread.sleep(5);
    RankingModel m2 =
        new Trainer()
            .train(
                split.train(),
                split.valid(),
                small.toBuilder().seed(2).build(),
                TrainingListener.NONE);
    BundleRef v2 =
        Bundles.exportAndPublish(registry, m2, "v2", v1.version(), split.valid(), Map.of());
    Manifest manifest2 = registry.load("v2").manifest();
    List<Rating> live = split.test();

    Configuration flink = new Configuration();
    // Any free REST port: 8081 may be taken by a demo or another cluster on this machine.
    flink.set(org.apache.flink.configuration.RestOptions.BIND_PORT, "0");
    flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
    flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
    MiniClusterConfiguration mcc =
        new MiniClusterConfiguration.Builder()
            .setConfiguration(flink)
            .setNumTaskManagers(1)
            .setNumSlotsPerTaskManager(2)
            .build();
    Topics topics = Topics.defaults();
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        MiniCluster cluster = new MiniCluster(mcc)) {
      cluster.start();
      kafka.createTopics(topics, 2);
      TestStreamEnvironment.setAsContext(cluster, 2);
      try {
        Configuration conf = new Configuration();
        conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        // Gate behaviour has its own harness tests; here any good version must pass it.
        conf.set(ScoringOptions.GATE_MARGIN, 1.0);
        conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaScoringJob.configure(env, conf);
        KafkaScoringJob.create(conf, v1.provider()).build(env);
        JobClient job = env.executeAsync("restore after swap");
        try (OutputCollector out = new OutputCollector(kafka.bootstrapServers(), topics);
            ReplayProducer replay = new ReplayProducer(kafka.bootstrapServers(), topics);
            ModelAnnouncer announcer = new ModelAnnouncer(kafka.bootstrapServers(), topics)) {
          Thread reader = new Thread(out, "collector");
          reader.start();
          replay.replay(live, 0, "before-");
          await(() -> out.predictions() >= live.size(), "first round scored");
          announcer.announce(ModelAnnouncer.announcement(v2, manifest2, false));
          // A committed swap report means a checkpoint after the swap has completed.
          await(
              () ->
                  out.reports().stream().map(MonitorReport::getKind).filter("swap"::equals).count()
                      == 2,
              "both subtasks swapped");
          cluster.terminateTaskManager(0).get();
          cluster.startTaskManager();
          replay.replay(live, 0, "after-");
          await(() -> out.predictions() >= 2L * live.size(), "second round scored");
          Thread.sleep(1000);
          job.cancel().get();
          out.close();
          reader.join(10_000);

          assertThat(out.duplicates()).isZero();
          assertThat(out.predictionCounts()).hasSize(2 * live.size());
          assertThat(out.versions()).containsExactly(v1.version(), "v2");
          // Everything scored after the restore used v2: nothing fell back to the initial v1.
          Map<String, Float> scores = out.scores();
          assertThat(scores).hasSize(2 * live.size());
          assertThat(out.versionRunsByPartition().values())
              .allSatisfy(runs -> assertThat(runs).last().isEqualTo("v2"));
          assertThat(out.versionRunsByPartition().values())
              .allSatisfy(runs -> assertThat(runs).doesNotHaveDuplicates());
        }
      } finally {
        TestStreamEnvironment.unsetAsContext();
      }
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(50);
    }
  }
}
