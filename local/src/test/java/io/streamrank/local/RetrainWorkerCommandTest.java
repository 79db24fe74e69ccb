package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.model.ModelConfig;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.RetrainService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./streamrank retrain-worker}: what it needs is named when it is missing or wrong, before
 * anything starts. Running it is {@link ProcessClusterIT}'s job.
 */
class RetrainWorkerCommandTest {
  @Test
  void helpAndTheRequiredRegistry() {
    StringWriter out = new StringWriter();
    assertThat(run(out, new StringWriter(), "retrain-worker", "--help")).isZero();
    assertThat(out.toString())
        .startsWith("Usage: streamrank retrain-worker")
        .contains("--kafka-properties", "--registry", "--budget");
    StringWriter err = new StringWriter();
    assertThat(run(new StringWriter(), err, "retrain-worker")).isEqualTo(2);
    assertThat(err.toString()).contains("--registry");
  }

  @Test
  void badSettingsAreNamed(@TempDir Path dir) {
    StringWriter err = new StringWriter();
    String reg = dir.toString();
    assertThat(run(new StringWriter(), err, "retrain-worker", "--registry", reg, "--budget", "0"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--budget must be > 0, got 0");
    err = new StringWriter();
    String missing = dir.resolve("client.properties").toString();
    assertThat(
            run(
                new StringWriter(),
                err,
                "retrain-worker",
                "--registry",
                reg,
                "--kafka-properties",
                missing))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--kafka-properties: no file at " + missing);
  }

  @Test
  void eachRequestRunsTheSearchTheOptionsName(@TempDir Path dir) {
    DataSpec spec = DataSpec.movieLens(dir, "time");
    RetrainService.Settings defaults = parse("--registry", dir.toString()).settings(spec);
    assertThat(defaults.algo()).isEqualTo("tpe");
    assertThat(defaults.pruner()).isEqualTo("asha");
    assertThat(defaults.base().epochs()).isEqualTo(18);
    assertThat(defaults.budget()).isEqualTo(6);
    RetrainService.Settings chosen =
        parse(
                "--registry",
                dir.toString(),
                "--algo",
                "grid",
                "--pruner",
                "none",
                "--epochs",
                "5",
                "--budget",
                "3")
            .settings(spec);
    assertThat(chosen.algo()).isEqualTo("grid");
    assertThat(chosen.pruner()).isEqualTo("none");
    assertThat(chosen.base().epochs()).isEqualTo(5);
    assertThat(chosen.budget()).isEqualTo(3);
    assertThat(chosen.base().toBuilder().epochs(ModelConfig.defaults().epochs()).build())
        .as("only the epoch budget differs from the library defaults")
        .isEqualTo(ModelConfig.defaults());
  }

  private static RetrainWorkerCommand parse(String... args) {
    RetrainWorkerCommand c = new RetrainWorkerCommand();
    new CommandLine(c).parseArgs(args);
    return c;
  }

  @Test
  void registryIsAUriOrADirectory() {
    assertThat(RetrainWorkerCommand.registryUri("s3://bucket/registry"))
        .isEqualTo("s3://bucket/registry");
    assertThat(RetrainWorkerCommand.registryUri("file:///registry")).isEqualTo("file:///registry");
    assertThat(RetrainWorkerCommand.registryUri("runs/registry"))
        .isEqualTo(Path.of("runs/registry").toAbsolutePath().toUri().toString());
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cl = StreamrankCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }
}
