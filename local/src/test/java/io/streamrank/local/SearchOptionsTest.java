package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
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
    }
  }

  @Test
  void aBadValueIsRejectedNamingTheOption() {
    for (String[] args :
        new String[][] {
          {"tune", "--parallelism", "0"},
          {"retrain", "--registry", "unused", "--epochs", "0"},
          {"retrain-worker", "--registry", "unused", "--parallelism", "0"}
        }) {
      CommandLine cl = StreamrankCli.commandLine();
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err));
      assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(2);
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
      CommandLine cl = StreamrankCli.commandLine();
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err));
      assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(2);
      assertThat(err.toString())
          .contains(args[args.length - 2] + " must be ")
          .contains("got '" + args[args.length - 1] + "'");
    }
  }
}
