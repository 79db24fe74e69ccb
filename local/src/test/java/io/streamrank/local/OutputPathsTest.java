package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A report or output that cannot be written fails the command before its work, naming the option.
 */
class OutputPathsTest {
  @Test
  void anOutputUnderAFileIsRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("plain-file"), "not a directory");
    String bad = file.resolve("out").toString();
    String[][] commands = {
      {"train", "--out", bad},
      {"tune", "--out", bad},
      {"retrain", "--registry", dir.resolve("registry").toString(), "--out", bad},
      {"evaluate", "--prequential", "--out", bad},
      {"fold-in-table", "--out", bad},
      {"demo", "--no-web-ui", "--summary", bad},
      {"demo", "--no-web-ui", "--report", bad},
      {"bench", "--out", bad},
      {"bench", "--trace", bad},
      {"bench-swap", "--trace", bad},
      {"cluster", "up", "--dir", bad}
    };
    for (String[] args : commands) {
      String option = args[args.length - 2];
      StringWriter err = new StringWriter();
      long start = System.nanoTime();
      assertThat(execute(err, args)).as(String.join(" ", args)).isEqualTo(2);
      assertThat(err.toString())
          .as(String.join(" ", args))
          .contains(option + " " + bad + ": cannot create the directory");
      // Refused before any data is read or any cluster starts.
      assertThat(System.nanoTime() - start).as(String.join(" ", args)).isLessThan(5_000_000_000L);
    }
  }

  @Test
  void aFileOptionNamingADirectoryIsRefused(@TempDir Path dir) {
    StringWriter err = new StringWriter();
    assertThat(execute(err, "bench", "--out", dir.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--out " + dir + ": is a directory, not a file");
    StringWriter root = new StringWriter();
    assertThat(execute(root, "evaluate", "--prequential", "--out", "/")).isEqualTo(2);
    assertThat(root.toString()).contains("--out /: is a directory, not a file");
  }

  @Test
  void aMissingDirectoryIsCreated(@TempDir Path dir) {
    Path report = dir.resolve("new/deeper/report.json");
    StreamrankCli.requireWritableFile("--out", report);
    assertThat(report.getParent()).isDirectory();
    assertThat(report).doesNotExist();
  }

  private static int execute(StringWriter err, String... args) {
    CommandLine cl = StreamrankCli.commandLine();
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }
}
