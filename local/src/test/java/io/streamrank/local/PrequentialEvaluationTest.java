package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Smoke test of {@code ./streamrank evaluate --prequential} on a small synthetic slice. */
class PrequentialEvaluationTest {
  @Test
  @SuppressWarnings("unchecked")
  void everyReplayedEventIsScoredByEachVariantAndTheReportCarriesTheirRmse() throws Exception {
    Map<String, Object> report =
        new PrequentialEvaluation(new PrintStream(PrintStream.nullOutputStream()))
            .run(
                new PrequentialEvaluation.Settings(
                    null,
                    SyntheticGenerator.Options.defaults().withRatings(6_000),
                    List.of(
                        PrequentialEvaluation.Variant.STATIC,
                        PrequentialEvaluation.Variant.FEATURES_AND_FOLD_IN),
                    0,
                    600,
                    1,
                    0.05,
                    Duration.ZERO,
                    ModelConfig.builder().embeddingDim(4).hiddenLayers(8).epochs(2).build(),
                    Duration.ofSeconds(120)));
    var results = (List<Map<String, Object>>) report.get("results");
    assertThat(results)
        .extracting(r -> r.get("variant"))
        .containsExactly("static", "features+fold-in");
    assertThat(results)
        .allSatisfy(
            r -> {
              assertThat(r.get("scored")).isEqualTo(600L);
              assertThat((double) r.get("prequential_rmse")).isBetween(0.1, 3.0);
            });
    assertThat(results.get(0).get("versions")).isEqualTo(List.of("initial"));
    assertThat(results.get(1).get("versions")).isEqualTo(List.of("initial-features"));
  }

  @Test
  void anUnknownVariantIsNamed() {
    StringWriter err = new StringWriter();
    var cl = StreamrankCli.commandLine();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute("evaluate", "--prequential", "--variants", "static,nightly");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--variants").contains("nightly");
  }
}
