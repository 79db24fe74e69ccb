package io.streamrank.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class OnnxScorerTest {
  private static final byte[] MODEL = TinyModels.onnx(0);

  @Test
  void wrongInputTypeIsRejectedWithExpectedAndFound() {
    byte[] bad =
        TinyModels.identityGraph(
            List.of("user_id", "movie_id"),
            List.of(DataType.INT64, DataType.FLOAT),
            "movie_id",
            "score");
    assertThatThrownBy(() -> OnnxScorer.open(bad, ScorerOptions.defaults()))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("expected inputs [user_id:int64[-1], movie_id:int64[-1]]")
        .hasMessageContaining("found inputs [user_id:int64[-1], movie_id:float[-1]]");
  }

  @Test
  void wrongOutputNameIsRejected() {
    byte[] bad =
        TinyModels.identityGraph(
            List.of("user_id", "movie_id"),
            List.of(DataType.INT64, DataType.INT64),
            "user_id",
            "prediction");
    assertThatThrownBy(() -> OnnxScorer.open(bad, ScorerOptions.defaults()))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("outputs [score:float[-1]]")
        .hasMessageContaining("found")
        .hasMessageContaining("prediction:int64[-1]");
  }

  @Test
  void garbageBytesAreRejected() {
    assertThatThrownBy(() -> OnnxScorer.open(new byte[] {1, 2, 3}, ScorerOptions.defaults()))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("ONNX Runtime cannot load the model (3 bytes)");
  }

  @Test
  void useAfterCloseFailsLoudly() {
    OnnxScorer scorer = OnnxScorer.open(MODEL, ScorerOptions.defaults());
    scorer.close();
    scorer.close();
    assertThatThrownBy(() -> scorer.score(new long[1], new long[1], null, 1, new float[1]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void cudaWithoutItsProviderIsAClearErrorAndAutoFallsBackToCpu() {
    boolean hasCuda = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    try (OnnxScorer auto =
        OnnxScorer.open(MODEL, ScorerOptions.defaults().withDevice(Device.AUTO))) {
      assertThat(auto.activeDevice()).isIn(Device.CPU, Device.CUDA);
      if (!hasCuda) {
        assertThat(auto.activeDevice()).isEqualTo(Device.CPU);
      }
    }
    if (!hasCuda) {
      assertThatThrownBy(
              () -> OnnxScorer.open(MODEL, ScorerOptions.defaults().withDevice(Device.CUDA)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("device CUDA was requested");
    }
  }

  @Test
  void concurrentCallsOnOneScorerGiveTheSameAnswers() throws Exception {
    int n = 500;
    long[] users = new long[n];
    long[] movies = new long[n];
    for (int i = 0; i < n; i++) {
      users[i] = i % 60;
      movies[i] = i % 35;
    }
    try (OnnxScorer scorer = OnnxScorer.open(MODEL, new ScorerOptions(Device.CPU, 1, 128))) {
      float[] expected = new float[n];
      scorer.score(users, movies, null, n, expected);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<float[]>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          results.add(
              pool.submit(
                  () -> {
                    float[] out = new float[n];
                    for (int rep = 0; rep < 20; rep++) {
                      scorer.score(users, movies, null, n, out);
                    }
                    return out;
                  }));
        }
        for (Future<float[]> r : results) {
          assertThat(r.get()).containsExactly(expected);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(expected)
          .doesNotContain(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }
  }

  @Test
  void featureCountIsChecked() {
    try (OnnxScorer scorer = OnnxScorer.open(TinyModels.onnx(2), ScorerOptions.defaults())) {
      assertThat(scorer.signature().inputs()).hasSize(3);
      assertThatThrownBy(
              () -> scorer.score(new long[2], new long[2], new float[3], 2, new float[2]))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expects 2 features per row");
      float[] out = new float[2];
      scorer.score(new long[] {1, 2}, new long[] {3, 4}, new float[] {0, 1, 2, 3}, 2, out);
      assertThat(out).doesNotContain(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
      // n = 0 is a no-op
      scorer.score(new long[0], new long[0], new float[0], 0, new float[0]);
    }
  }

  @Test
  void sharedScorersShareOneSessionAndCloseItWithTheLastRelease() {
    String sha = SharedScorers.sha256(MODEL);
    int before = SharedScorers.openSessions();
    int[] loads = {0};
    SharedScorers.Handle a =
        SharedScorers.acquire(
            sha,
            () -> {
              loads[0]++;
              return MODEL;
            },
            ScorerOptions.defaults());
    SharedScorers.Handle b =
        SharedScorers.acquire(
            sha,
            () -> {
              loads[0]++;
              return MODEL;
            },
            ScorerOptions.defaults());
    assertThat(loads[0]).isEqualTo(1);
    assertThat(a.scorer()).isSameAs(b.scorer());
    assertThat(SharedScorers.openSessions()).isEqualTo(before + 1);
    OnnxScorer scorer = a.scorer();
    a.close();
    a.close();
    float[] out = new float[1];
    scorer.score(new long[] {1}, new long[] {1}, null, 1, out);
    assertThatThrownBy(a::scorer).isInstanceOf(IllegalStateException.class);
    b.close();
    assertThat(SharedScorers.openSessions()).isEqualTo(before);
    assertThatThrownBy(() -> scorer.score(new long[] {1}, new long[] {1}, null, 1, out))
        .isInstanceOf(IllegalStateException.class);
    byte[] other = Arrays.copyOf(MODEL, MODEL.length);
    other[other.length - 1] ^= 1;
    assertThatThrownBy(() -> SharedScorers.acquire(sha, () -> other, ScorerOptions.defaults()))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("expected " + sha);
  }
}
