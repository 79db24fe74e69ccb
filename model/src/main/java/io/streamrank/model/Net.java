package io.streamrank.model;

/**
 * The forward pass, shared by {@link RankingModel} and {@link Trainer} so that training, evaluation
 * and Java prediction run the same float32 arithmetic.
 */
final class Net {
  private Net() {}

  /** Per-thread buffers for one forward pass; {@code acts[l]} holds layer l's output. */
  static final class Scratch {
    final float[] x;
    final float[][] acts;

    Scratch(ModelWeights w) {
      x = new float[w.layerIn[0]];
      acts = new float[w.kernels.length][];
      for (int l = 0; l < acts.length; l++) {
        acts[l] = new float[w.layerOut[l]];
      }
    }
  }

  /**
   * Scores one row and leaves the MLP input in {@code s.x} and every layer's (post-ReLU) output in
   * {@code s.acts}.
   *
   * @param features row-major features, may be null when the model has none
   * @param featureOffset index of this row's first feature
   */
  static float score(ModelWeights w, int u, int m, float[] features, int featureOffset, Scratch s) {
    int d = w.embeddingDim;
    float[] x = s.x;
    System.arraycopy(w.userMlp, u * d, x, 0, d);
    System.arraycopy(w.movieMlp, m * d, x, d, d);
    if (w.numFeatures > 0) {
      System.arraycopy(features, featureOffset, x, 2 * d, w.numFeatures);
    }
    float mlp = mlp(w, x, s.acts);
    float dot = dot(w.userFactors, u * d, w.movieFactors, m * d, d);
    float score = mlp + dot;
    score += w.userBias[u];
    score += w.movieBias[m];
    score += w.globalMean;
    return score;
  }

  static float dot(float[] a, int ao, float[] b, int bo, int n) {
    float sum = 0f;
    for (int i = 0; i < n; i++) {
      sum += a[ao + i] * b[bo + i];
    }
    return sum;
  }

  private static float mlp(ModelWeights w, float[] x, float[][] acts) {
    float[] in = x;
    int last = w.kernels.length - 1;
    for (int l = 0; l <= last; l++) {
      float[] kernel = w.kernels[l];
      float[] out = acts[l];
      int nIn = w.layerIn[l];
      int nOut = w.layerOut[l];
      java.util.Arrays.fill(out, 0f);
      for (int k = 0; k < nIn; k++) {
        float a = in[k];
        if (a != 0f) {
          int base = k * nOut;
          for (int j = 0; j < nOut; j++) {
            out[j] += a * kernel[base + j];
          }
        }
      }
      float[] bias = w.biases[l];
      for (int j = 0; j < nOut; j++) {
        float v = out[j] + bias[j];
        out[j] = l < last && v < 0f ? 0f : v;
      }
      in = out;
    }
    return in[0];
  }
}
