package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.model.features.FoldInTable;
import io.streamrank.streaming.monitor.MonitorSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The job builder and the monitor options fail with sentences naming what is wrong. */
class ScoringJobBuilderTest {
  @Test
  void buildNamesEverythingMissing() {
    assertThatThrownBy(() -> ScoringJob.builder().model(TestModels.provider()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("events source")
        .hasMessageContaining("ratings source")
        .hasMessageContaining("retrain-requests sink")
        .hasMessageContaining("model-decisions sink")
        .hasMessageContaining("model-decisions source")
        .hasMessageContaining("monitor settings")
        .hasMessageNotContaining("model provider");
  }

  @Test
  void monitorDefaultsAreTheDocumentedOnes() {
    MonitorSettings s = ScoringOptions.monitorSettings(new Configuration());
    assertThat(s.window()).isEqualTo(Duration.ofHours(1));
    assertThat(s.labelTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(s.labelCapacity()).isEqualTo(100_000);
    assertThat(s.policy().rmseIncrease()).isEqualTo(0.15);
    assertThat(s.policy().predictionPsi()).isEqualTo(0.25);
    assertThat(s.policy().windows()).isEqualTo(3);
    assertThat(s.policy().minNewLabels()).isEqualTo(2000);
    assertThat(s.policy().cooldownMs()).isEqualTo(Duration.ofHours(24).toMillis());
  }

  @Test
  void aBadMonitorSettingIsNamed() {
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.TRIGGER_WINDOWS, 0);
    assertThatThrownBy(() -> ScoringOptions.monitorSettings(conf))
        .hasMessageContaining("streamrank.trigger.windows must be >= 1, got 0");
    Configuration zero = new Configuration();
    zero.set(ScoringOptions.MONITOR_WINDOW, Duration.ZERO);
    assertThatThrownBy(() -> ScoringOptions.monitorSettings(zero))
        .hasMessageContaining("streamrank.monitor.window must be positive");
    Configuration noCapacity = new Configuration();
    noCapacity.set(ScoringOptions.LABEL_CAPACITY, 0L);
    assertThatThrownBy(() -> ScoringOptions.monitorSettings(noCapacity))
        .hasMessageContaining("streamrank.monitor.label-capacity must be >= 1, got 0");
  }

  /**
   * Every record type between operators and in state has explicit type information: with generic
   * types disabled, building the graph (which creates every edge's serializer) would fail on a Kryo
   * fallback.
   */
  @ParameterizedTest(name = "features {0}")
  @ValueSource(booleans = {false, true})
  void noOperatorFallsBackToKryo(boolean features) {
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.FEATURES_ENABLED, features);
    Configuration noKryo = new Configuration();
    noKryo.set(PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noKryo);
    assertThat(env.getConfig().getSerializerConfig().hasGenericTypesDisabled()).isTrue();
    KafkaScoringJob.configure(env, conf);
    KafkaScoringJob.create(conf, TestModels.provider()).build(env);
    assertThat(env.getStreamGraph().getStreamNodes()).hasSizeGreaterThan(10);
  }

  @ParameterizedTest(name = "unaligned {0}")
  @ValueSource(booleans = {false, true})
  void checkpointsAreUnalignedOnlyWhenAsked(boolean unaligned) {
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.CHECKPOINT_UNALIGNED, unaligned);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    KafkaScoringJob.configure(env, conf);
    assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isEqualTo(unaligned);
    assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(2_000);
  }

  @Test
  void settingsByKeyNameAnUnknownKeyAndListTheKnownOnes() {
    assertThatThrownBy(
            () -> KafkaScoringJob.settings(Map.of("streamrank.checkpoint-intervall", "1s")))
        .hasMessageContaining("unknown setting 'streamrank.checkpoint-intervall'")
        .hasMessageContaining("streamrank.checkpoint-interval,");
    Configuration conf =
        KafkaScoringJob.settings(Map.of("streamrank.predictions.sink-own-task", "false"));
    assertThat(conf.get(ScoringOptions.PREDICTIONS_SINK_OWN_TASK)).isFalse();
    assertThat(new Configuration().get(ScoringOptions.PREDICTIONS_SINK_OWN_TASK)).isTrue();
  }

  @Test
  void settingsNameAValueTheirOptionCannotParse() {
    assertThatThrownBy(
            () -> KafkaScoringJob.settings(Map.of("streamrank.scoring.batch-size", "abc")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("setting 'streamrank.scoring.batch-size': cannot use 'abc'");
    assertThatThrownBy(
            () -> KafkaScoringJob.settings(Map.of("streamrank.checkpoint-interval", "soon")))
        .hasMessageContaining("setting 'streamrank.checkpoint-interval': cannot use 'soon'");
  }

  /**
   * By default the predictions sink is a task of its own, so its producer flush at each checkpoint
   * does not hold up scoring; {@code false} chains it to the scoring operator.
   */
  @ParameterizedTest(name = "own task {0}")
  @ValueSource(booleans = {false, true})
  void thePredictionsSinkIsChainedOnlyWhenToldTo(boolean ownTask) {
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.PREDICTIONS_SINK_OWN_TASK, ownTask);
    java.util.Set<String> tasks = tasks(built(conf, 2)).keySet();
    String scoring =
        tasks.stream().filter(n -> n.contains("batched ONNX scoring")).findFirst().orElseThrow();
    assertThat(scoring.contains("predictions: Writer")).as(scoring).isEqualTo(!ownTask);
    assertThat(tasks).filteredOn(n -> n.contains("predictions: Writer")).hasSize(1);
  }

  @Test
  void aBadFoldInTableIsNamed(@TempDir Path dir) throws Exception {
    Path bad = Files.writeString(dir.resolve("table.bin"), "not a table");
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.FEATURES_ENABLED, true);
    conf.set(ScoringOptions.FEATURES_FOLD_IN_TABLE, bad.toUri().toString());
    assertThatThrownBy(() -> ScoringOptions.featureSettings(conf))
        .hasMessageContaining("streamrank.features.fold-in-table")
        .hasMessageContaining("table.bin")
        .hasMessageContaining("not a fold-in table");
    conf.set(ScoringOptions.FEATURES_FOLD_IN_TABLE, dir.resolve("missing.bin").toUri().toString());
    assertThatThrownBy(() -> ScoringOptions.featureSettings(conf))
        .hasMessageContaining("streamrank.features.fold-in-table")
        .hasMessageContaining("missing.bin");
    Path good =
        Files.write(
            dir.resolve("good.bin"),
            new FoldInTable(1, 5f, new long[] {1}, new float[] {1f}).toBytes());
    conf.set(ScoringOptions.FEATURES_FOLD_IN_TABLE, good.toUri().toString());
    assertThat(ScoringOptions.featureSettings(conf).foldIn().size()).isEqualTo(1);
    conf.set(ScoringOptions.FEATURES_ENABLED, false);
    assertThatThrownBy(() -> ScoringOptions.featureSettings(conf))
        .hasMessageContaining(
            "streamrank.features.fold-in-table needs streamrank.features.enabled");
  }

  @Test
  void aNegativeBufferTimeoutIsNamed() {
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.BUFFER_TIMEOUT, Duration.ofMillis(-1));
    assertThatThrownBy(() -> ScoringOptions.validate(conf))
        .hasMessageContaining("streamrank.network.buffer-timeout must be >= 0");
    Configuration low = new Configuration();
    low.set(ScoringOptions.LOW_VOLUME_BUFFER_TIMEOUT, Duration.ofMillis(-1));
    assertThatThrownBy(() -> ScoringOptions.validate(low))
        .hasMessageContaining("streamrank.network.low-volume-buffer-timeout must be >= 0");
  }

  /**
   * The prediction path and the monitors keep the job's buffer timeout (the trigger acts on reports
   * in arrival order); model updates and decisions and shadow outcomes take the low-volume one, so
   * their flusher threads wake less often.
   */
  @Test
  void lowVolumeEdgesTakeTheirOwnBufferTimeout() {
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.BUFFER_TIMEOUT, Duration.ofMillis(7));
    conf.set(ScoringOptions.LOW_VOLUME_BUFFER_TIMEOUT, Duration.ofMillis(300));
    StreamExecutionEnvironment env = built(conf, 2);
    java.util.Map<String, Long> timeouts = new java.util.TreeMap<>();
    var graph = env.getStreamGraph();
    for (var node : graph.getStreamNodes()) {
      for (var edge : node.getOutEdges()) {
        String to = graph.getStreamNode(edge.getTargetId()).getOperatorName();
        timeouts.put(node.getOperatorName() + " -> " + to, edge.getBufferTimeout());
      }
    }
    assertThat(timeouts)
        .containsEntry("dead-letter split -> requests", 7L)
        .containsEntry("requests -> batched ONNX scoring", 7L)
        .containsEntry("label requests -> prediction-rating join", 7L)
        .containsEntry("rating event time -> prediction-rating join", 7L)
        .containsEntry("model-updates split -> batched ONNX scoring", 300L)
        .containsEntry("model-decisions split -> shadow evaluator", 300L)
        .containsEntry("shadow outcomes -> shadow evaluator", 300L)
        .containsEntry("drift partials -> drift monitor", 7L)
        .containsEntry("drift monitor -> retrain trigger", 7L);
  }

  /**
   * The low-volume sinks and the shadow evaluator run as one task each whatever the job's
   * parallelism: each sink subtask is a task thread and a transactional producer with a network
   * thread of its own, and takes part in every checkpoint; the predictions sink keeps the job's
   * parallelism.
   */
  @Test
  void lowVolumeSinksRunAsOneTaskEach() {
    java.util.Map<String, Integer> parallelism = tasks(built(new Configuration(), 4));
    for (String sink :
        List.of("monitoring", "dead letters", "retrain requests", "model decisions")) {
      assertThat(writers(parallelism, sink)).as(sink).containsExactly(1);
    }
    assertThat(writers(parallelism, "predictions")).containsExactly(4);
  }

  /** The parallelism of the task that holds {@code sink}'s writer. */
  private static List<Integer> writers(java.util.Map<String, Integer> tasks, String sink) {
    return tasks.entrySet().stream()
        .filter(e -> e.getKey().contains(sink + ": Writer"))
        .map(java.util.Map.Entry::getValue)
        .toList();
  }

  /** The scoring job's graph built with {@code conf} at {@code parallelism}. */
  private static StreamExecutionEnvironment built(Configuration conf, int parallelism) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    KafkaScoringJob.configure(env, conf);
    KafkaScoringJob.create(conf, TestModels.provider()).build(env);
    return env;
  }

  /** The job graph's tasks (chains of operators, by name) and their parallelism. */
  private static java.util.Map<String, Integer> tasks(StreamExecutionEnvironment env) {
    java.util.Map<String, Integer> tasks = new java.util.TreeMap<>();
    env.getStreamGraph()
        .getJobGraph()
        .getVertices()
        .forEach(v -> tasks.put(v.getName(), v.getParallelism()));
    return tasks;
  }
}
