package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntUnaryOperator;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The swap benchmark's arithmetic, on a hand-made trace (the run itself is a command). */
class SwapBenchmarkTest {
  /** {@code n} predictions: the gap before each from its index, the latency from its time. */
  private static long[][] trace(int n, IntUnaryOperator gapBefore, LongUnaryOperator latencyAt) {
    long[] latency = new long[n];
    long[] scored = new long[n];
    long t = 0;
    for (int i = 0; i < n; i++) {
      t += gapBefore.applyAsInt(i);
      scored[i] = t;
      latency[i] = latencyAt.applyAsLong(t);
    }
    return new long[][] {latency, scored};
  }

  @Test
  void splitsTheTraceAtTheSwapWindowAndFindsTheLongestGapOnEachSide() {
    // 10 ms apart, latency 5 ms; around t=1000 a 60 ms gap and latency 20 ms.
    int n = 300;
    long[][] trace = trace(n, i -> i == 100 ? 60 : 10, t -> Math.abs(t - 1000) <= 100 ? 20 : 5);
    SwapBenchmark.Result r = SwapBenchmark.analyse(trace, 1000, 100, 0);
    assertThat(r.swapMaxGap()).isEqualTo(60);
    assertThat(r.nearSwapMaxGap()).isEqualTo(60);
    assertThat(r.steadyMaxGap()).isEqualTo(10);
    assertThat(r.swapMaxGapEnd()).isEqualTo(1060);
    assertThat(r.steadyMaxGapEnd()).isEqualTo(20);
    // The prediction that ended the swap gap had waited 20 ms, the steady one 5 ms.
    assertThat(r.swapMaxGapWait()).isEqualTo(20);
    assertThat(r.steadyMaxGapWait()).isEqualTo(5);
    assertThat(r.swapP99()).isEqualTo(20);
    assertThat(r.steadyP99()).isEqualTo(5);
    assertThat(r.p99Ratio()).isEqualTo(4.0);
    // Scored at 900..1000 (11) and 1060..1100 (5) lie within 1000 ± 100.
    assertThat(r.predictions()).isEqualTo(n);
    assertThat(r.inWindow()).isEqualTo(16);
  }

  @Test
  void theGapRightAroundTheSwapIsMeasuredApartFromTheWindowsLongest() {
    // 10 ms apart; a 30 ms gap 200 ms after the swap at t=5000, a 70 ms one 3 s after it.
    long[][] trace = trace(1000, i -> i == 520 ? 30 : i == 800 ? 70 : 10, t -> 5);
    SwapBenchmark.Result r = SwapBenchmark.analyse(trace, 5000, 5000, 0);
    assertThat(r.swapMaxGap()).isEqualTo(70);
    assertThat(r.nearSwapMaxGap()).isEqualTo(30);
    assertThat(r.nearSwapGapOverSteadyP99()).isEqualTo(6.0);
  }

  @Test
  void theTraceHoldsTheMeasuredPredictionsAfterTheSwapTime(@TempDir Path dir) throws Exception {
    long[][] trace = {{7, 8, 21}, {100, 110, 135}};
    Path file = dir.resolve("trace.csv");
    SwapBenchmark.writeTrace(trace, 120, 1, file);
    assertThat(Files.readAllLines(file))
        .containsExactly("# swap at 120", "scored_ms,wait_ms", "110,8", "135,21");
  }
}
