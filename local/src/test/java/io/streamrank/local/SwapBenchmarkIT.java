package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code ./streamrank bench-swap --process-cluster}, small: the job runs from its jar on a
 * standalone cluster of one-slot TaskManagers in JVMs of their own, a new version is announced
 * halfway, and every event comes back scored with the swap reported. Checks the harness, not speed.
 */
class SwapBenchmarkIT {
  @Test
  void aSwapOnAProcessClusterScoresEveryEventAndIsMeasured() throws Exception {
    Path work = Path.of("target", "swap-benchmark-it").toAbsolutePath();
    ProcessClusterIT.deleteRecursively(work);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    SwapBenchmark.Result r =
        new SwapBenchmark(new PrintStream(printed, true, StandardCharsets.UTF_8))
            .run(
                new SwapBenchmark.Settings(
                    1_000,
                    12,
                    4,
                    2,
                    0,
                    Map.of("streamrank.checkpoint-interval", "1 s"),
                    new SwapBenchmark.ClusterLayout(
                        work, ProcessClusterIT.FLINK_LIB, ProcessClusterIT.JOB_JAR)));
    assertThat(r.predictions()).isEqualTo(12_000);
    assertThat(r.inWindow()).isPositive();
    assertThat(r.steadyP99()).isPositive();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("layout: process cluster")
        .contains("{streamrank.checkpoint-interval=1 s}");
    assertThat(work.resolve("log")).isDirectoryContaining(p -> p.toString().endsWith(".log"));
  }
}
