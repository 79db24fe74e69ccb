package io.streamrank.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The trainer's analytic gradients against central finite differences, on tiny dimensions. */
class GradientCheckTest {

  @ParameterizedTest(name = "shared embeddings = {0}")
  @ValueSource(booleans = {false, true})
  void analyticGradientMatchesFiniteDifferences(boolean shared) {
    ModelConfig cfg =
        ModelConfig.builder()
            .embeddingDim(3)
            .hiddenLayers(5, 4)
            .numFeatures(2)
            .sharedEmbeddings(shared)
            .l2Dense(0.03f)
            .l2Embedding(0.07f)
            .l2Bias(0.05f)
            .threads(2)
            .build();
    // Repeated users and movies check that per-row gradients are summed.
    int[] users = {1, 2, 1, 3, 0, 2, 1};
    int[] movies = {1, 1, 4, 2, 3, 0, 4};
    float[] labels = {4f, 2f, 5f, 3f, 1f, 4.5f, 3.5f};
    int b = users.length;
    float[] feats = new float[b * 2];
    // Finite differences are wrong across a ReLU kink: pick weights whose pre-activations all
    // stay clear of zero.
    ModelWeights w = null;
    for (long seed = 1; w == null; seed++) {
      ModelWeights candidate = randomWeights(cfg, seed, feats);
      if (minAbsPreActivation(candidate, users, movies, feats) > 0.05) {
        w = candidate;
      }
    }
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      TrainingEngine engine = new TrainingEngine(cfg, w, pool);
      engine.computeGradients(users, movies, labels, feats, b);
      List<float[][]> pairs = new ArrayList<>();
      pairs.add(new float[][] {w.userBias, engine.gUserBias});
      pairs.add(new float[][] {w.movieBias, engine.gMovieBias});
      pairs.add(new float[][] {w.userFactors, engine.gUserFactors});
      pairs.add(new float[][] {w.movieFactors, engine.gMovieFactors});
      if (!shared) {
        pairs.add(new float[][] {w.userMlp, engine.gUserMlp});
        pairs.add(new float[][] {w.movieMlp, engine.gMovieMlp});
      }
      for (int l = 0; l < w.kernels.length; l++) {
        // The engine adds the dense-kernel L2 gradient in step(); add it here.
        float[] g = engine.gKernels[l].clone();
        for (int i = 0; i < g.length; i++) {
          g[i] += 2 * cfg.l2Dense() * w.kernels[l][i];
        }
        pairs.add(new float[][] {w.kernels[l], g});
        pairs.add(new float[][] {w.biases[l], engine.gBiases[l]});
      }
      int checked = 0;
      double maxErr = 0;
      for (float[][] pair : pairs) {
        float[] p = pair[0];
        float[] g = pair[1];
        for (int i = 0; i < p.length; i++) {
          float saved = p[i];
          float eps = 1e-3f;
          p[i] = saved + eps;
          double plus = engine.loss(users, movies, labels, feats, b);
          p[i] = saved - eps;
          double minus = engine.loss(users, movies, labels, feats, b);
          p[i] = saved;
          double numeric = (plus - minus) / (2 * eps);
          double err =
              Math.abs(numeric - g[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(g[i]));
          maxErr = Math.max(maxErr, err);
          assertThat(err)
              .as(
                  "parameter %d of an array of %d: analytic %s numeric %s",
                  i, p.length, g[i], numeric)
              .isLessThan(2e-2);
          checked++;
        }
      }
      assertThat(checked).isGreaterThan(100);
      assertThat(maxErr).isLessThan(2e-2);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Random weights (larger than the trainer's initialisation so every term matters). */
  private static ModelWeights randomWeights(ModelConfig cfg, long seed, float[] feats) {
    ModelWeights w = ModelWeights.zeros(cfg, 4, 5, 3.4f);
    Trainer.initialise(w, seed);
    SplittableRandom rng = new SplittableRandom(seed * 31);
    for (float[] a : List.of(w.userFactors, w.movieFactors, w.userMlp, w.movieMlp)) {
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) rng.nextGaussian() * 0.8f;
      }
    }
    List<float[]> biases = new ArrayList<>(List.of(w.userBias, w.movieBias));
    biases.addAll(List.of(w.biases));
    for (float[] a : biases) {
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) rng.nextGaussian() * 0.3f;
      }
    }
    for (int i = 0; i < feats.length; i++) {
      feats[i] = (float) rng.nextGaussian();
    }
    return w;
  }

  /** Smallest |pre-activation| of any hidden unit over the rows. */
  private static double minAbsPreActivation(
      ModelWeights w, int[] users, int[] movies, float[] feats) {
    double min = Double.POSITIVE_INFINITY;
    Net.Scratch s = new Net.Scratch(w);
    for (int e = 0; e < users.length; e++) {
      Net.score(w, users[e], movies[e], feats, e * w.numFeatures, s);
      float[] in = s.x;
      for (int l = 0; l < w.kernels.length - 1; l++) {
        int nIn = w.layerIn[l];
        int nOut = w.layerOut[l];
        for (int j = 0; j < nOut; j++) {
          double z = w.biases[l][j];
          for (int k = 0; k < nIn; k++) {
            z += in[k] * w.kernels[l][k * nOut + j];
          }
          min = Math.min(min, Math.abs(z));
        }
        in = s.acts[l];
      }
    }
    return min;
  }
}
