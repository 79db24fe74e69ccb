package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CommandHelpTest {
  /**
   * Picocli formats every help text with {@link String#format}: a bare "60%" breaks it, and --help
   * then prints a warning and the text unformatted.
   */
  @Test
  void everyCommandsHelpRendersWithoutAWarning() {
    String warnings = warningsWhileRendering(StreamrankCli.commandLine());
    assertThat(warnings).isEmpty();
  }

  @Test
  void aBarePercentSignIsCaughtInACommandOrAnOption() {
    String warnings = warningsWhileRendering(new CommandLine(new Broken()));
    assertThat(warnings).contains("picocli WARN").contains("60% of").contains("40% of");
  }

  @CommandLine.Command(name = "broken", description = "trained on the first 60% of the data")
  static final class Broken implements Runnable {
    @CommandLine.Option(names = "--limit", description = "at most the last 40% of the data")
    int limit;

    @Override
    public void run() {}
  }

  /** What picocli writes to standard error while rendering each command's and subcommand's help. */
  private static String warningsWhileRendering(CommandLine cl) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      render(cl);
    } finally {
      System.setErr(err);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  private static void render(CommandLine cl) {
    assertThat(cl.getUsageMessage()).contains("Usage:");
    cl.getSubcommands().values().forEach(CommandHelpTest::render);
  }
}
