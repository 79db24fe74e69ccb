package io.streamrank.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.model.RandomModels;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A quick throughput run of the seed-sized model at batch 256 (the JMH benchmark is the real one).
 */
class ScorerThroughputSmokeTest {
  @Test
  void scoresBatchesOf256() {
    byte[] onnx = new OnnxExporter().export(RandomModels.seedSized(), "smoke", Map.of());
    int batch = 256;
    long[] users = new long[batch];
    long[] movies = new long[batch];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < batch; i++) {
      users[i] = 1 + rng.nextInt(1_000);
      movies[i] = 1 + rng.nextInt(1_800);
    }
    float[] out = new float[batch];
    try (OnnxScorer scorer = OnnxScorer.open(onnx, ScorerOptions.defaults())) {
      for (int i = 0; i < 50; i++) {
        scorer.score(users, movies, null, batch, out);
      }
      int calls = 300;
      long start = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        scorer.score(users, movies, null, batch, out);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double rowsPerSecond = calls * batch / seconds;
      System.out.printf("ONNX Runtime CPU, 1 thread, batch 256: %,.0f rows/s%n", rowsPerSecond);
      assertThat(rowsPerSecond).isGreaterThan(0);
      for (float v : out) {
        assertThat(Float.isFinite(v)).isTrue();
      }
    }
  }
}
