package io.streamrank.retrain;

import io.streamrank.model.ModelConfig;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The hyperparameters the tuner searches: learning rate, L2 on embeddings and on dense kernels (log
 * scale), embedding size, hidden layers and batch size (choices), and optionally whether the
 * streaming features are used ({@link #withStreamingFeatures}). Epochs are the trial budget, cut
 * short by early stopping. A point is a map from parameter name to value.
 */
public final class SearchSpace {
  /** A searched hyperparameter. */
  public sealed interface Param permits LogUniform, Choice {
    String name();
  }

  /**
   * A continuous parameter searched on a log scale.
   *
   * @param name parameter name
   * @param low smallest value
   * @param high largest value
   */
  public record LogUniform(String name, double low, double high) implements Param {
    double sample(SplittableRandom rng) {
      return Math.exp(Math.log(low) + rng.nextDouble() * (Math.log(high) - Math.log(low)));
    }
  }

  /**
   * A parameter taking one of a few values.
   *
   * @param name parameter name
   * @param values the values, in a meaningful order
   */
  public record Choice(String name, List<Object> values) implements Param {}

  public static final String LEARNING_RATE = "learning_rate";
  public static final String L2_EMBEDDING = "l2_embedding";
  public static final String L2_DENSE = "l2_dense";
  public static final String EMBEDDING_DIM = "embedding_dim";
  public static final String HIDDEN = "hidden_layers";
  public static final String BATCH_SIZE = "batch_size";
  public static final String STREAMING_FEATURES = "streaming_features";

  private final List<Param> params;

  public SearchSpace(List<Param> params) {
    this.params = List.copyOf(params);
  }

  /** The default space, centred on the library defaults. */
  public static SearchSpace defaults() {
    return new SearchSpace(
        List.of(
            new LogUniform(LEARNING_RATE, 1e-4, 3e-2),
            new LogUniform(L2_EMBEDDING, 1e-2, 1.0),
            new LogUniform(L2_DENSE, 1e-4, 1e-1),
            new Choice(EMBEDDING_DIM, List.of(16, 32, 64)),
            new Choice(HIDDEN, List.of("", "32", "64,32")),
            new Choice(BATCH_SIZE, List.of(128, 256, 512))));
  }

  /** This space, also choosing whether trials train with the streaming features. */
  public SearchSpace withStreamingFeatures() {
    List<Param> more = new java.util.ArrayList<>(params);
    more.removeIf(p -> p.name().equals(STREAMING_FEATURES));
    more.add(new Choice(STREAMING_FEATURES, List.of(false, true)));
    return new SearchSpace(more);
  }

  /** Whether this space chooses the streaming features. */
  public boolean searchesStreamingFeatures() {
    return params.stream().anyMatch(p -> p.name().equals(STREAMING_FEATURES));
  }

  public List<Param> params() {
    return params;
  }

  /**
   * The data a point trains on: {@code data} with the point's streaming-features choice, if any.
   */
  public static DataSpec data(DataSpec data, Map<String, Object> point) {
    Object f = point.get(STREAMING_FEATURES);
    return f == null ? data : data.withStreamingFeatures(Boolean.parseBoolean(f.toString()));
  }

  /** A uniformly random point. */
  public Map<String, Object> sample(SplittableRandom rng) {
    Map<String, Object> p = new LinkedHashMap<>();
    for (Param param : params) {
      if (param instanceof LogUniform u) {
        p.put(u.name(), u.sample(rng));
      } else if (param instanceof Choice c) {
        p.put(c.name(), c.values().get(rng.nextInt(c.values().size())));
      }
    }
    return p;
  }

  /** The library defaults as a point of this space. */
  public static Map<String, Object> point(ModelConfig cfg) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(LEARNING_RATE, (double) cfg.learningRate());
    p.put(L2_EMBEDDING, (double) cfg.l2Embedding());
    p.put(L2_DENSE, (double) cfg.l2Dense());
    p.put(EMBEDDING_DIM, cfg.embeddingDim());
    p.put(
        HIDDEN,
        String.join(",", Arrays.stream(cfg.hiddenLayers()).mapToObj(Integer::toString).toList()));
    p.put(BATCH_SIZE, cfg.batchSize());
    return p;
  }

  /**
   * {@code base} with the point's values; parameters the point lacks keep base's values. The
   * streaming-features choice is not a model setting: it picks the data ({@link #data}).
   */
  public static ModelConfig apply(ModelConfig base, Map<String, Object> point) {
    ModelConfig.Builder b = base.toBuilder();
    if (point.containsKey(LEARNING_RATE)) {
      b.learningRate(((Number) point.get(LEARNING_RATE)).floatValue());
    }
    if (point.containsKey(L2_EMBEDDING)) {
      b.l2Embedding(((Number) point.get(L2_EMBEDDING)).floatValue());
    }
    if (point.containsKey(L2_DENSE)) {
      b.l2Dense(((Number) point.get(L2_DENSE)).floatValue());
    }
    if (point.containsKey(EMBEDDING_DIM)) {
      b.embeddingDim(((Number) point.get(EMBEDDING_DIM)).intValue());
    }
    if (point.containsKey(HIDDEN)) {
      String h = point.get(HIDDEN).toString().strip();
      b.hiddenLayers(
          h.isEmpty()
              ? new int[0]
              : Arrays.stream(h.split(",")).mapToInt(Integer::parseInt).toArray());
    }
    if (point.containsKey(BATCH_SIZE)) {
      b.batchSize(((Number) point.get(BATCH_SIZE)).intValue());
    }
    return b.build();
  }
}
