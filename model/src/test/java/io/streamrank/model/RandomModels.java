package io.streamrank.model;

import java.util.SplittableRandom;

/** Test fixture: untrained models of a given shape with random weights (for speed tests). */
public final class RandomModels {
  private RandomModels() {}

  /**
   * A model over users 1..users and movies 1..movies with the configuration's shape and randomly
   * initialised weights and biases.
   */
  public static RankingModel of(ModelConfig cfg, int users, int movies, long seed) {
    long[] u = new long[users];
    long[] m = new long[movies];
    for (int i = 0; i < users; i++) {
      u[i] = i + 1;
    }
    for (int i = 0; i < movies; i++) {
      m[i] = i + 1;
    }
    Vocabulary uv = Vocabulary.of(u);
    Vocabulary mv = Vocabulary.of(m);
    ModelWeights w = ModelWeights.zeros(cfg, uv.size(), mv.size(), 3.5f);
    Trainer.initialise(w, seed);
    SplittableRandom rng = new SplittableRandom(seed);
    for (float[] b : w.biases) {
      for (int i = 0; i < b.length; i++) {
        b[i] = (float) rng.nextGaussian() * 0.1f;
      }
    }
    return new RankingModel(cfg, uv, mv, w);
  }

  /** The seed tutorial's size: 32-dim embeddings, Dense 256, Dense 64, ML-100k's 943 x 1682 ids. */
  public static RankingModel seedSized() {
    return of(
        ModelConfig.builder().embeddingDim(32).hiddenLayers(256, 64).threads(1).build(),
        943,
        1682,
        1);
  }
}
