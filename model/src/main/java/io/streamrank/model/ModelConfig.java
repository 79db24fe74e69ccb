package io.streamrank.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Hyperparameters of a {@link RankingModel} and of its training, immutable. Build one with {@link
 * #builder()} (every field has a documented default) or change one with {@link #toBuilder()}.
 *
 * <p>The loss the trainer minimises over a minibatch of {@code B} rows is
 *
 * <pre>
 *   (1/B) * sum_rows [ (score - rating)^2
 *                      + l2Embedding * (|user emb|^2 + |movie emb|^2)
 *                      + l2Bias * (user bias^2 + movie bias^2) ]
 *   + l2Dense * sum_layers |kernel|^2
 * </pre>
 *
 * so the embedding and bias penalties are applied per occurrence (frequent users are pulled towards
 * zero as often as they appear) and the dense-kernel penalty once per step, as Keras does.
 */
public final class ModelConfig {

  /** The optimizer the trainer uses. */
  public enum Optimizer {
    /** Adam (beta1 0.9, beta2 0.999, epsilon 1e-7); embedding rows are updated lazily. */
    ADAM,
    /** Adagrad (initial accumulator 0.1, epsilon 1e-7), the seed tutorial's optimizer. */
    ADAGRAD
  }

  /** How the trainer uses several threads. */
  public enum Parallelism {
    /**
     * Synchronous data parallelism: threads share each minibatch, gradients are reduced in a fixed
     * order, one step per minibatch. Deterministic for a seed and thread count.
     */
    SYNCHRONOUS,
    /**
     * Hogwild: each thread runs its own minibatches over its part of the epoch and updates the
     * shared weights without locks (each with its own optimizer state). Not deterministic.
     */
    HOGWILD
  }

  /** Default {@link #embeddingDim()}. */
  public static final int DEFAULT_EMBEDDING_DIM = 32;

  private static final int[] DEFAULT_HIDDEN = {32};

  private final int embeddingDim;
  private final int[] hiddenLayers;
  private final boolean sharedEmbeddings;
  private final float l2Dense;
  private final float l2Embedding;
  private final float l2Bias;
  private final Optimizer optimizer;
  private final float learningRate;
  private final float lrDecay;
  private final int epochs;
  private final int patience;
  private final int batchSize;
  private final float oovRate;
  private final long seed;
  private final int threads;
  private final int numFeatures;
  private final float averageDecay;
  private final Parallelism parallelism;

  private ModelConfig(Builder b) {
    this.embeddingDim = b.embeddingDim;
    this.hiddenLayers = b.hiddenLayers.clone();
    this.sharedEmbeddings = b.sharedEmbeddings;
    this.l2Dense = b.l2Dense;
    this.l2Embedding = b.l2Embedding;
    this.l2Bias = b.l2Bias;
    this.optimizer = b.optimizer;
    this.learningRate = b.learningRate;
    this.lrDecay = b.lrDecay;
    this.epochs = b.epochs;
    this.patience = b.patience;
    this.batchSize = b.batchSize;
    this.oovRate = b.oovRate;
    this.seed = b.seed;
    this.threads = b.threads;
    this.numFeatures = b.numFeatures;
    this.averageDecay = b.averageDecay;
    this.parallelism = b.parallelism;
  }

  /** A builder holding every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static ModelConfig defaults() {
    return builder().build();
  }

  /** A builder that starts from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.embeddingDim = embeddingDim;
    b.hiddenLayers = hiddenLayers.clone();
    b.sharedEmbeddings = sharedEmbeddings;
    b.l2Dense = l2Dense;
    b.l2Embedding = l2Embedding;
    b.l2Bias = l2Bias;
    b.optimizer = optimizer;
    b.learningRate = learningRate;
    b.lrDecay = lrDecay;
    b.epochs = epochs;
    b.patience = patience;
    b.batchSize = batchSize;
    b.oovRate = oovRate;
    b.seed = seed;
    b.threads = threads;
    b.numFeatures = numFeatures;
    b.averageDecay = averageDecay;
    b.parallelism = parallelism;
    return b;
  }

  /** Width of the user and movie embeddings (and of the dot-product factors). Default 32. */
  public int embeddingDim() {
    return embeddingDim;
  }

  /**
   * Widths of the MLP's hidden ReLU layers, input side first; the MLP ends in one linear unit.
   * Empty means the MLP is a single linear layer. Default {32}: the seed's {256, 64} is no better
   * on ML-100k (0.9108 vs 0.9110 random-split test RMSE, 1.0227 vs 1.0228 time split) and trains 4x
   * slower; see the module README.
   */
  public int[] hiddenLayers() {
    return hiddenLayers.clone();
  }

  /**
   * Whether the MLP reads the same embeddings as the dot-product term (true) or its own (false).
   * Default false: separate tables measured better on ML-100k (random-split test RMSE 0.9110
   * against 0.9170 shared).
   */
  public boolean sharedEmbeddings() {
    return sharedEmbeddings;
  }

  /** L2 weight on the dense kernels, applied once per step. Default 0.01 (the seed's value). */
  public float l2Dense() {
    return l2Dense;
  }

  /** L2 weight on embedding rows, applied per occurrence in a minibatch. Default 0.1. */
  public float l2Embedding() {
    return l2Embedding;
  }

  /** L2 weight on user and movie biases, per occurrence. Default 0.005. */
  public float l2Bias() {
    return l2Bias;
  }

  /** The optimizer. Default {@link Optimizer#ADAM}. */
  public Optimizer optimizer() {
    return optimizer;
  }

  /** Learning rate of the first epoch. Default 0.003. */
  public float learningRate() {
    return learningRate;
  }

  /**
   * Multiplier applied to the learning rate after every epoch: epoch {@code e} (0-based) uses
   * {@code learningRate * lrDecay^e}. Default 0.9.
   */
  public float lrDecay() {
    return lrDecay;
  }

  /** Maximum number of epochs. Default 30. */
  public int epochs() {
    return epochs;
  }

  /**
   * Epochs without a better validation RMSE before training stops; the best weights are then
   * restored. Default 4. Ignored when there are no validation rows.
   */
  public int patience() {
    return patience;
  }

  /** Rows per minibatch. Default 256. */
  public int batchSize() {
    return batchSize;
  }

  /**
   * Probability that a training row's user (and, independently, its movie) is replaced by the
   * out-of-vocabulary row, so that row learns what an unseen user or movie looks like. Default
   * 0.02.
   */
  public float oovRate() {
    return oovRate;
  }

  /** Seed for initialisation, shuffling and out-of-vocabulary sampling. Default 42. */
  public long seed() {
    return seed;
  }

  /**
   * Trainer threads. Default: the JVM's available processors. Results are bit-identical for the
   * same seed and the same thread count.
   */
  public int threads() {
    return threads;
  }

  /** Number of extra float features per row, fed to the MLP. Default 0. */
  public int numFeatures() {
    return numFeatures;
  }

  /** How several threads train. Default {@link Parallelism#SYNCHRONOUS}. */
  public Parallelism parallelism() {
    return parallelism;
  }

  /**
   * Decay of an exponential moving average of the weights, updated after every step; when above 0
   * the average (not the raw weights) is validated, early-stopped on and returned, which smooths
   * out the noise of the last steps like a cheap ensemble. 0 turns it off. Step {@code t} uses
   * {@code min(averageDecay, (1 + t) / (10 + t))} so short runs are not dragged back to the initial
   * weights. Default 0.998 (about the last 500 steps; worth 0.001-0.002 of test RMSE on ML-100k).
   */
  public float averageDecay() {
    return averageDecay;
  }

  /**
   * The hyperparameters as a map with snake_case keys, in a fixed order (for manifests, ONNX
   * metadata and logs). {@link #fromMap(Map)} reads it back.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("embedding_dim", embeddingDim);
    List<Integer> hidden = new ArrayList<>();
    for (int h : hiddenLayers) {
      hidden.add(h);
    }
    m.put("hidden_layers", Collections.unmodifiableList(hidden));
    m.put("shared_embeddings", sharedEmbeddings);
    m.put("l2_dense", l2Dense);
    m.put("l2_embedding", l2Embedding);
    m.put("l2_bias", l2Bias);
    m.put("optimizer", optimizer.name());
    m.put("learning_rate", learningRate);
    m.put("lr_decay", lrDecay);
    m.put("epochs", epochs);
    m.put("patience", patience);
    m.put("batch_size", batchSize);
    m.put("oov_rate", oovRate);
    m.put("seed", seed);
    m.put("threads", threads);
    m.put("num_features", numFeatures);
    m.put("average_decay", averageDecay);
    m.put("parallelism", parallelism.name());
    return Collections.unmodifiableMap(m);
  }

  /**
   * Reads a map written by {@link #toMap()} (for instance parsed back from JSON, so numbers may
   * come as any {@link Number}); missing keys keep their defaults, unknown keys are rejected.
   */
  public static ModelConfig fromMap(Map<String, ?> map) {
    Builder b = builder();
    for (Map.Entry<String, ?> e : map.entrySet()) {
      Object v = e.getValue();
      switch (e.getKey()) {
        case "embedding_dim" -> b.embeddingDim(num(e).intValue());
        case "hidden_layers" -> {
          if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException("hidden_layers must be a list, got " + v);
          }
          int[] h = new int[list.size()];
          for (int i = 0; i < h.length; i++) {
            h[i] = ((Number) list.get(i)).intValue();
          }
          b.hiddenLayers(h);
        }
        case "shared_embeddings" -> b.sharedEmbeddings(Boolean.parseBoolean(String.valueOf(v)));
        case "l2_dense" -> b.l2Dense(num(e).floatValue());
        case "l2_embedding" -> b.l2Embedding(num(e).floatValue());
        case "l2_bias" -> b.l2Bias(num(e).floatValue());
        case "optimizer" -> b.optimizer(Optimizer.valueOf(String.valueOf(v)));
        case "learning_rate" -> b.learningRate(num(e).floatValue());
        case "lr_decay" -> b.lrDecay(num(e).floatValue());
        case "epochs" -> b.epochs(num(e).intValue());
        case "patience" -> b.patience(num(e).intValue());
        case "batch_size" -> b.batchSize(num(e).intValue());
        case "oov_rate" -> b.oovRate(num(e).floatValue());
        case "seed" -> b.seed(num(e).longValue());
        case "threads" -> b.threads(num(e).intValue());
        case "num_features" -> b.numFeatures(num(e).intValue());
        case "average_decay" -> b.averageDecay(num(e).floatValue());
        case "parallelism" -> b.parallelism(Parallelism.valueOf(String.valueOf(v)));
        default ->
            throw new IllegalArgumentException(
                "unknown hyperparameter '"
                    + e.getKey()
                    + "', expected one of "
                    + defaults().toMap().keySet());
      }
    }
    return b.build();
  }

  private static Number num(Map.Entry<String, ?> e) {
    if (e.getValue() instanceof Number n) {
      return n;
    }
    if (e.getValue() instanceof String s) {
      return Double.parseDouble(s);
    }
    throw new IllegalArgumentException(
        "hyperparameter '" + e.getKey() + "' must be a number, got " + e.getValue());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelConfig c && c.toMap().equals(toMap());
  }

  @Override
  public int hashCode() {
    return Objects.hash(toMap());
  }

  @Override
  public String toString() {
    return "ModelConfig" + toMap();
  }

  /** Builder for {@link ModelConfig}; {@link #build()} checks every value. */
  public static final class Builder {
    private int embeddingDim = DEFAULT_EMBEDDING_DIM;
    private int[] hiddenLayers = DEFAULT_HIDDEN.clone();
    private boolean sharedEmbeddings = false;
    private float l2Dense = 0.01f;
    private float l2Embedding = 0.1f;
    private float l2Bias = 0.005f;
    private Optimizer optimizer = Optimizer.ADAM;
    private float learningRate = 0.003f;
    private float lrDecay = 0.9f;
    private int epochs = 30;
    private int patience = 4;
    private int batchSize = 256;
    private float oovRate = 0.02f;
    private long seed = 42L;
    private int threads = Runtime.getRuntime().availableProcessors();
    private int numFeatures = 0;
    private float averageDecay = 0.998f;
    private Parallelism parallelism = Parallelism.SYNCHRONOUS;

    private Builder() {}

    /** See {@link ModelConfig#embeddingDim()}. */
    public Builder embeddingDim(int v) {
      embeddingDim = v;
      return this;
    }

    /** See {@link ModelConfig#hiddenLayers()}. */
    public Builder hiddenLayers(int... v) {
      hiddenLayers = Objects.requireNonNull(v, "hiddenLayers").clone();
      return this;
    }

    /** See {@link ModelConfig#sharedEmbeddings()}. */
    public Builder sharedEmbeddings(boolean v) {
      sharedEmbeddings = v;
      return this;
    }

    /** See {@link ModelConfig#l2Dense()}. */
    public Builder l2Dense(float v) {
      l2Dense = v;
      return this;
    }

    /** See {@link ModelConfig#l2Embedding()}. */
    public Builder l2Embedding(float v) {
      l2Embedding = v;
      return this;
    }

    /** See {@link ModelConfig#l2Bias()}. */
    public Builder l2Bias(float v) {
      l2Bias = v;
      return this;
    }

    /** See {@link ModelConfig#optimizer()}. */
    public Builder optimizer(Optimizer v) {
      optimizer = Objects.requireNonNull(v, "optimizer");
      return this;
    }

    /** See {@link ModelConfig#learningRate()}. */
    public Builder learningRate(float v) {
      learningRate = v;
      return this;
    }

    /** See {@link ModelConfig#lrDecay()}. */
    public Builder lrDecay(float v) {
      lrDecay = v;
      return this;
    }

    /** See {@link ModelConfig#epochs()}. */
    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    /** See {@link ModelConfig#patience()}. */
    public Builder patience(int v) {
      patience = v;
      return this;
    }

    /** See {@link ModelConfig#batchSize()}. */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** See {@link ModelConfig#oovRate()}. */
    public Builder oovRate(float v) {
      oovRate = v;
      return this;
    }

    /** See {@link ModelConfig#seed()}. */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** See {@link ModelConfig#threads()}. */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /** See {@link ModelConfig#parallelism()}. */
    public Builder parallelism(Parallelism v) {
      parallelism = Objects.requireNonNull(v, "parallelism");
      return this;
    }

    /** See {@link ModelConfig#averageDecay()}. */
    public Builder averageDecay(float v) {
      averageDecay = v;
      return this;
    }

    /** See {@link ModelConfig#numFeatures()}. */
    public Builder numFeatures(int v) {
      numFeatures = v;
      return this;
    }

    /** Checks every value and builds; the message names the offending setting. */
    public ModelConfig build() {
      require(embeddingDim >= 1, "embeddingDim must be >= 1, got " + embeddingDim);
      for (int h : hiddenLayers) {
        require(h >= 1, "hiddenLayers must all be >= 1, got " + Arrays.toString(hiddenLayers));
      }
      require(finiteNonNegative(l2Dense), "l2Dense must be finite and >= 0, got " + l2Dense);
      require(
          finiteNonNegative(l2Embedding),
          "l2Embedding must be finite and >= 0, got " + l2Embedding);
      require(finiteNonNegative(l2Bias), "l2Bias must be finite and >= 0, got " + l2Bias);
      require(
          learningRate > 0 && Float.isFinite(learningRate),
          "learningRate must be finite and > 0, got " + learningRate);
      require(lrDecay > 0 && lrDecay <= 1, "lrDecay must be in (0, 1], got " + lrDecay);
      require(epochs >= 1, "epochs must be >= 1, got " + epochs);
      require(patience >= 1, "patience must be >= 1, got " + patience);
      require(batchSize >= 1, "batchSize must be >= 1, got " + batchSize);
      require(oovRate >= 0 && oovRate < 1, "oovRate must be in [0, 1), got " + oovRate);
      require(threads >= 1, "threads must be >= 1, got " + threads);
      require(numFeatures >= 0, "numFeatures must be >= 0, got " + numFeatures);
      require(
          averageDecay >= 0 && averageDecay < 1,
          "averageDecay must be in [0, 1), got " + averageDecay);
      return new ModelConfig(this);
    }

    private static boolean finiteNonNegative(float v) {
      return Float.isFinite(v) && v >= 0;
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
