package io.streamrank.retrain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tuning end to end on small synthetic data, trials as a Flink batch job in a MiniCluster. */
class TunerTest {
  static final DataSpec DATA =
      DataSpec.synthetic(SyntheticGenerator.Options.defaults().withRatings(8_000), "time");
  static final ModelConfig BASE =
      ModelConfig.builder().embeddingDim(8).hiddenLayers(8).epochs(9).patience(2).build();

  private static Tuner tuner(List<String> log) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2);
    return new Tuner(new FlinkTrialExecutor(env, 2), SearchSpace.defaults(), BASE, log::add);
  }

  @Test
  void successiveHalvingPrunesTwoThirdsPerRungAndWritesTheReport(@TempDir Path out)
      throws Exception {
    List<String> log = new java.util.ArrayList<>();
    Tuner.Outcome o = tuner(log).tune(DATA, 6, "random", "asha", 7);
    // 6 at 1 epoch, the best 2 at 3 epochs, the best 1 at 9.
    assertThat(o.trials()).hasSize(9);
    assertThat(o.trials().stream().filter(t -> t.status().equals("pruned"))).hasSize(5);
    assertThat(o.trials().stream().filter(t -> t.status().equals("completed")))
        .singleElement()
        .satisfies(t -> assertThat(t.budget()).isEqualTo(9));
    assertThat(o.best().bestValidRmse()).isFinite();
    assertThat(o.testRmse()).isFinite();
    assertThat(o.defaultValidRmse()).isFinite();
    TuningReport.write(out, TuningReport.toMap(o, DATA, 6, "random", "asha"), o);
    JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("tuning.json")));
    for (String key :
        List.of(
            "best",
            "best_valid_rmse",
            "test_rmse",
            "default_valid_rmse",
            "trials",
            "wall_seconds")) {
      assertThat(json.has(key)).as(key).isTrue();
    }
    assertThat(json.get("trials").get(0).has("curve")).isTrue();
    assertThat(json.get("trials").get(0).get("status").asText())
        .isIn("pruned", "promoted", "completed");
    String svg = Files.readString(out.resolve("learning_curves.svg"));
    assertThat(svg).startsWith("<svg").contains("<polyline").contains(o.best().id());
    assertThat(log).anyMatch(l -> l.startsWith("rung 2"));
  }

  @Test
  void unprunedTpeRunsEveryTrialToItsBudget() throws Exception {
    Tuner.Outcome o = tuner(new java.util.ArrayList<>()).tune(DATA, 4, "tpe", "none", 3);
    assertThat(o.trials())
        .hasSize(4)
        .allSatisfy(t -> assertThat(t.status()).isEqualTo("completed"));
    assertThat(o.trials()).allSatisfy(t -> assertThat(t.curve()).isNotEmpty());
  }
}
