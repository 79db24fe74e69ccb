package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./streamrank cluster}: help everywhere, and the answers that need no cluster. Starting one
 * is {@link ProcessClusterIT}'s job.
 */
class ClusterCommandTest {
  @Test
  void everySubcommandAnswersHelp() {
    for (String sub : new String[] {"up", "down", "status"}) {
      StringWriter out = new StringWriter();
      assertThat(run(out, new StringWriter(), "cluster", sub, "--help")).isZero();
      assertThat(out.toString()).startsWith("Usage: streamrank cluster " + sub).contains("--dir");
    }
    StringWriter out = new StringWriter();
    assertThat(run(out, new StringWriter(), "cluster", "--help")).isZero();
    assertThat(out.toString()).contains("up", "down", "status");
  }

  @Test
  void statusAndDownWithoutAClusterSaySo(@TempDir Path dir) {
    StringWriter out = new StringWriter();
    assertThat(run(out, new StringWriter(), "cluster", "status", "--dir", dir.toString()))
        .isEqualTo(3);
    assertThat(out.toString()).contains("no cluster recorded in " + dir);
    out = new StringWriter();
    assertThat(run(out, new StringWriter(), "cluster", "down", "--dir", dir.toString())).isZero();
    assertThat(out.toString()).contains("no cluster recorded in " + dir);
  }

  @Test
  void upNamesWhatIsMissing(@TempDir Path dir) {
    StringWriter err = new StringWriter();
    String missing = dir.resolve("no-such.jar").toString();
    assertThat(
            run(
                new StringWriter(),
                err,
                "cluster",
                "up",
                "--dir",
                dir.toString(),
                "--job-jar",
                missing))
        .isEqualTo(2);
    assertThat(err.toString()).contains("no job jar at " + missing);

    err = new StringWriter();
    String lib = dir.resolve("no-lib").toString();
    assertThat(
            run(
                new StringWriter(),
                err,
                "cluster",
                "up",
                "--dir",
                dir.toString(),
                "--no-job",
                "--flink-lib",
                lib))
        .isEqualTo(2);
    assertThat(err.toString()).contains("no Flink distribution in " + lib);
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cl = StreamrankCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }
}
