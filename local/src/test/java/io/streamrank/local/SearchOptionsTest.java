package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tune}, {@code retrain} and {@code retrain-worker} share the search options, their defaults
 * and their checks.
 */
class SearchOptionsTest {
  @Test
  void bothCommandsOfferTheSearchOptionsWithTheSameDefaults() {
    for (String command : new String[] {"tune", "retrain", "retrain-worker"}) {
      CommandLine sub = StreamrankCli.commandLine().getSubcommands().get(command);
      var spec = sub.getCommandSpec();
      assertThat(spec.findOption("--algo").defaultValue()).as(command).isEqualTo("tpe");
      assertThat(spec.findOption("--pruner").defaultValue()).as(command).isEqualTo("asha");
      assertThat(spec.findOption("--epochs").defaultValue()).as(command).isEqualTo("18");
      assertThat(spec.findOption("--parallelism").defaultValue()).as(command).isEqualTo("2");
      assertThat(spec.findOption("--flink-rest")).as(command).isNotNull();
      assertThat(spec.findOption("--tuning-jar")).as(command).isNotNull();
    }
  }

  @Test
  void aClusterWithoutTheTuningJarIsNamedBeforeAnythingRuns() {
    StringWriter err = new StringWriter();
    int rc =
        execute(
            err,
            "tune",
            "--synthetic-ratings",
            "2000",
            "--flink-rest",
            "http://127.0.0.1:8081",
            "--tuning-jar",
            "no-such-tuning.jar");
    assertThat(rc).isNotZero();
    assertThat(err.toString()).contains("no tuning job jar at").contains("no-such-tuning.jar");
  }

  @Test
  void aBadValueIsRejectedNamingTheOption() {
    for (String[] args :
        new String[][] {
          {"tune", "--parallelism", "0"},
          {"retrain", "--registry", "unused", "--epochs", "0"},
          {"retrain-worker", "--registry", "unused", "--parallelism", "0"}
        }) {
      StringWriter err = new StringWriter();
      assertThat(execute(err, args)).as(String.join(" ", args)).isEqualTo(2);
      assertThat(err.toString()).contains(args[args.length - 2] + " must be > 0, got 0");
    }
  }

  @Test
  void anUnknownAlgorithmOrPrunerIsRejectedBeforeAnythingStarts() {
    for (String[] args :
        new String[][] {
          {"tune", "--algo", "bayes"},
          {"retrain", "--registry", "unused", "--pruner", "hyperband"},
          {"retrain-worker", "--registry", "unused", "--algo", "bayes"}
        }) {
      StringWriter err = new StringWriter();
      assertThat(execute(err, args)).as(String.join(" ", args)).isEqualTo(2);
      assertThat(err.toString())
          .contains(args[args.length - 2] + " must be ")
          .contains("got '" + args[args.length - 1] + "'");
    }
  }

  @Test
  void aDataDirectoryWithoutRatingsIsNamedBeforeTheClusterStarts(@TempDir Path empty) {
    for (String[] args :
        new String[][] {
          {"tune", "--data", empty.toString()},
          {
            "retrain",
            "--registry",
            empty.resolve("registry").toString(),
            "--data",
            empty.toString()
          }
        }) {
      StringWriter err = new StringWriter();
      long start = System.nanoTime();
      assertThat(execute(err, args)).as(String.join(" ", args)).isEqualTo(2);
      assertThat(err.toString())
          .contains("no MovieLens ratings in " + empty.toAbsolutePath())
          .contains("expected u.data");
      // Refused before a cluster starts (the first trial job alone takes seconds).
      assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
    }
  }

  /** Runs the command line with its error output into {@code err}; the exit code. */
  private static int execute(StringWriter err, String... args) {
    CommandLine cl = StreamrankCli.commandLine();
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }
}
