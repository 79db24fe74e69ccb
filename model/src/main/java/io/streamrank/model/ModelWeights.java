package io.streamrank.model;

/**
 * The learned parameters of a {@link RankingModel}, float32. Embedding tables are row-major {@code
 * [rows * embeddingDim]}, row 0 being the out-of-vocabulary row; dense kernels are row-major {@code
 * [in * out]} (input index major, as ONNX {@code Gemm} takes them untransposed). Getters return
 * copies.
 *
 * <p>The MLP's input is {@code concat(user mlp embedding, movie mlp embedding, features)}; when the
 * configuration shares embeddings the MLP embeddings are the dot-product factors themselves.
 */
public final class ModelWeights {
  final int embeddingDim;
  final int numFeatures;
  final int[] layerIn;
  final int[] layerOut;
  final float globalMean;
  final float[] userBias;
  final float[] movieBias;
  final float[] userFactors;
  final float[] movieFactors;
  // Same array instances as the factors when embeddings are shared.
  final float[] userMlp;
  final float[] movieMlp;
  final float[][] kernels;
  final float[][] biases;

  ModelWeights(
      int embeddingDim,
      int numFeatures,
      int[] layerIn,
      int[] layerOut,
      float globalMean,
      float[] userBias,
      float[] movieBias,
      float[] userFactors,
      float[] movieFactors,
      float[] userMlp,
      float[] movieMlp,
      float[][] kernels,
      float[][] biases) {
    this.embeddingDim = embeddingDim;
    this.numFeatures = numFeatures;
    this.layerIn = layerIn;
    this.layerOut = layerOut;
    this.globalMean = globalMean;
    this.userBias = userBias;
    this.movieBias = movieBias;
    this.userFactors = userFactors;
    this.movieFactors = movieFactors;
    this.userMlp = userMlp;
    this.movieMlp = movieMlp;
    this.kernels = kernels;
    this.biases = biases;
  }

  /** Fresh zeroed weights for the given shape (package use: the trainer fills them). */
  static ModelWeights zeros(ModelConfig cfg, int userRows, int movieRows, float globalMean) {
    int d = cfg.embeddingDim();
    int[] hidden = cfg.hiddenLayers();
    int layers = hidden.length + 1;
    int[] in = new int[layers];
    int[] out = new int[layers];
    int width = 2 * d + cfg.numFeatures();
    for (int l = 0; l < layers; l++) {
      in[l] = width;
      out[l] = l < hidden.length ? hidden[l] : 1;
      width = out[l];
    }
    float[][] kernels = new float[layers][];
    float[][] biases = new float[layers][];
    for (int l = 0; l < layers; l++) {
      kernels[l] = new float[in[l] * out[l]];
      biases[l] = new float[out[l]];
    }
    float[] uf = new float[userRows * d];
    float[] mf = new float[movieRows * d];
    boolean shared = cfg.sharedEmbeddings();
    return new ModelWeights(
        d,
        cfg.numFeatures(),
        in,
        out,
        globalMean,
        new float[userRows],
        new float[movieRows],
        uf,
        mf,
        shared ? uf : new float[userRows * d],
        shared ? mf : new float[movieRows * d],
        kernels,
        biases);
  }

  /** A deep copy that keeps the sharing of MLP embeddings with the factors. */
  ModelWeights deepCopy() {
    float[] uf = userFactors.clone();
    float[] mf = movieFactors.clone();
    boolean shared = userMlp == userFactors;
    float[][] k = new float[kernels.length][];
    float[][] b = new float[biases.length][];
    for (int l = 0; l < kernels.length; l++) {
      k[l] = kernels[l].clone();
      b[l] = biases[l].clone();
    }
    return new ModelWeights(
        embeddingDim,
        numFeatures,
        layerIn.clone(),
        layerOut.clone(),
        globalMean,
        userBias.clone(),
        movieBias.clone(),
        uf,
        mf,
        shared ? uf : userMlp.clone(),
        shared ? mf : movieMlp.clone(),
        k,
        b);
  }

  /** Copies every value of {@code src} (same shape) into this. */
  void copyFrom(ModelWeights src) {
    System.arraycopy(src.userBias, 0, userBias, 0, userBias.length);
    System.arraycopy(src.movieBias, 0, movieBias, 0, movieBias.length);
    System.arraycopy(src.userFactors, 0, userFactors, 0, userFactors.length);
    System.arraycopy(src.movieFactors, 0, movieFactors, 0, movieFactors.length);
    if (!sharedEmbeddings()) {
      System.arraycopy(src.userMlp, 0, userMlp, 0, userMlp.length);
      System.arraycopy(src.movieMlp, 0, movieMlp, 0, movieMlp.length);
    }
    for (int l = 0; l < kernels.length; l++) {
      System.arraycopy(src.kernels[l], 0, kernels[l], 0, kernels[l].length);
      System.arraycopy(src.biases[l], 0, biases[l], 0, biases[l].length);
    }
  }

  /** {@code this = decay * this + (1 - decay) * w} over every parameter (same shape). */
  void blend(ModelWeights w, float decay) {
    blend(userBias, w.userBias, decay);
    blend(movieBias, w.movieBias, decay);
    blend(userFactors, w.userFactors, decay);
    blend(movieFactors, w.movieFactors, decay);
    if (!sharedEmbeddings()) {
      blend(userMlp, w.userMlp, decay);
      blend(movieMlp, w.movieMlp, decay);
    }
    for (int l = 0; l < kernels.length; l++) {
      blend(kernels[l], w.kernels[l], decay);
      blend(biases[l], w.biases[l], decay);
    }
  }

  private static void blend(float[] into, float[] from, float decay) {
    float keep = 1f - decay;
    for (int i = 0; i < into.length; i++) {
      into[i] = decay * into[i] + keep * from[i];
    }
  }

  /** Width of the embeddings. */
  public int embeddingDim() {
    return embeddingDim;
  }

  /** Extra float features per row. */
  public int numFeatures() {
    return numFeatures;
  }

  /** Whether the MLP reads the dot-product factors (true) or its own embedding tables. */
  public boolean sharedEmbeddings() {
    return userMlp == userFactors;
  }

  /** The mean training rating, added to every score. */
  public float globalMean() {
    return globalMean;
  }

  /** User biases, one per user row. */
  public float[] userBias() {
    return userBias.clone();
  }

  /** Movie biases, one per movie row. */
  public float[] movieBias() {
    return movieBias.clone();
  }

  /** User factors of the dot-product term, {@code [userRows * embeddingDim]}. */
  public float[] userFactors() {
    return userFactors.clone();
  }

  /** Movie factors of the dot-product term, {@code [movieRows * embeddingDim]}. */
  public float[] movieFactors() {
    return movieFactors.clone();
  }

  /** User embeddings the MLP reads (equal to {@link #userFactors()} when shared). */
  public float[] userMlpEmbeddings() {
    return userMlp.clone();
  }

  /** Movie embeddings the MLP reads (equal to {@link #movieFactors()} when shared). */
  public float[] movieMlpEmbeddings() {
    return movieMlp.clone();
  }

  /** Number of dense layers, the final linear one included. */
  public int numLayers() {
    return kernels.length;
  }

  /** Input width of a dense layer. */
  public int layerIn(int layer) {
    return layerIn[layer];
  }

  /** Output width of a dense layer (1 for the last). */
  public int layerOut(int layer) {
    return layerOut[layer];
  }

  /** Kernel of a dense layer, row-major {@code [in * out]}. */
  public float[] kernel(int layer) {
    return kernels[layer].clone();
  }

  /** Bias of a dense layer, {@code [out]}. */
  public float[] bias(int layer) {
    return biases[layer].clone();
  }
}
