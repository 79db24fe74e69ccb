package io.streamrank.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Gradients and optimizer steps for one training run: synchronous data-parallel minibatch SGD.
 *
 * <p>Each worker thread scores its contiguous shard of the minibatch and writes (a) the gradient of
 * every embedding row and bias it touched into a per-row slot of a batch-wide buffer and (b) the
 * dense-layer gradient into its own buffer. The main thread then sums the dense buffers in thread
 * order and adds the per-row slots into the embedding gradients in batch order, so the result
 * depends only on the seed and the thread count, never on scheduling.
 */
final class TrainingEngine {
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-7f;
  private static final float ADAGRAD_INITIAL = 0.1f;

  final ModelConfig cfg;
  final ModelWeights w;
  private final int d;
  private final int numFeatures;
  private final int layers;
  private final boolean shared;
  private final int threads;
  private final ExecutorService pool;

  // Global gradients, same shapes as the weights.
  final float[] gUserBias;
  final float[] gMovieBias;
  final float[] gUserFactors;
  final float[] gMovieFactors;
  final float[] gUserMlp;
  final float[] gMovieMlp;
  final float[][] gKernels;
  final float[][] gBiases;

  // Per-row slots: [bias, d factors, d mlp embeddings (when not shared)] per batch position.
  private final int stride;
  private float[] rowGradUser = new float[0];
  private float[] rowGradMovie = new float[0];
  private final int[] stampUser;
  private final int[] stampMovie;
  private int stamp;
  private final IntList touchedUsers = new IntList();
  private final IntList touchedMovies = new IntList();

  private final Worker[] workers;
  private final float[][] kernelsT;

  // Optimizer state: Adam first and second moments, or Adagrad accumulators in the first array.
  private final float[] sUserBias1;
  private final float[] sUserBias2;
  private final float[] sMovieBias1;
  private final float[] sMovieBias2;
  private final float[] sUserFactors1;
  private final float[] sUserFactors2;
  private final float[] sMovieFactors1;
  private final float[] sMovieFactors2;
  private final float[] sUserMlp1;
  private final float[] sUserMlp2;
  private final float[] sMovieMlp1;
  private final float[] sMovieMlp2;
  private final float[][] sKernels1;
  private final float[][] sKernels2;
  private final float[][] sBiases1;
  private final float[][] sBiases2;
  private long step;

  /**
   * @param pool runs workers 1..threads-1 (worker 0 runs on the caller); may be null with one
   *     thread
   */
  TrainingEngine(ModelConfig cfg, ModelWeights w, ExecutorService pool) {
    this.cfg = cfg;
    this.w = w;
    this.d = w.embeddingDim;
    this.numFeatures = w.numFeatures;
    this.layers = w.kernels.length;
    this.shared = w.sharedEmbeddings();
    this.threads = cfg.threads();
    this.pool = pool;
    int nu = w.userBias.length;
    int nm = w.movieBias.length;
    gUserBias = new float[nu];
    gMovieBias = new float[nm];
    gUserFactors = new float[nu * d];
    gMovieFactors = new float[nm * d];
    gUserMlp = shared ? gUserFactors : new float[nu * d];
    gMovieMlp = shared ? gMovieFactors : new float[nm * d];
    gKernels = new float[layers][];
    gBiases = new float[layers][];
    kernelsT = new float[layers][];
    for (int l = 0; l < layers; l++) {
      gKernels[l] = new float[w.kernels[l].length];
      gBiases[l] = new float[w.biases[l].length];
      kernelsT[l] = new float[w.kernels[l].length];
    }
    stride = 1 + d + (shared ? 0 : d);
    stampUser = new int[nu];
    stampMovie = new int[nm];
    workers = new Worker[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] = new Worker();
    }
    boolean adam = cfg.optimizer() == ModelConfig.Optimizer.ADAM;
    float init = adam ? 0f : ADAGRAD_INITIAL;
    sUserBias1 = filled(nu, init);
    sMovieBias1 = filled(nm, init);
    sUserFactors1 = filled(nu * d, init);
    sMovieFactors1 = filled(nm * d, init);
    sUserMlp1 = shared ? null : filled(nu * d, init);
    sMovieMlp1 = shared ? null : filled(nm * d, init);
    sUserBias2 = adam ? new float[nu] : null;
    sMovieBias2 = adam ? new float[nm] : null;
    sUserFactors2 = adam ? new float[nu * d] : null;
    sMovieFactors2 = adam ? new float[nm * d] : null;
    sUserMlp2 = adam && !shared ? new float[nu * d] : null;
    sMovieMlp2 = adam && !shared ? new float[nm * d] : null;
    sKernels1 = new float[layers][];
    sKernels2 = new float[layers][];
    sBiases1 = new float[layers][];
    sBiases2 = new float[layers][];
    for (int l = 0; l < layers; l++) {
      sKernels1[l] = filled(w.kernels[l].length, init);
      sBiases1[l] = filled(w.biases[l].length, init);
      sKernels2[l] = adam ? new float[w.kernels[l].length] : null;
      sBiases2[l] = adam ? new float[w.biases[l].length] : null;
    }
    transposeKernels();
  }

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    if (v != 0f) {
      Arrays.fill(a, v);
    }
    return a;
  }

  /**
   * Computes the gradient of the minibatch loss into the g* arrays (which must be zero on entry;
   * {@link #step(float)} leaves them zero) and returns the sum of squared errors of the batch.
   *
   * @param userRows user row per batch position
   * @param movieRows movie row per batch position
   * @param labels rating per batch position
   * @param features row-major features per batch position, may be null without features
   */
  double computeGradients(
      int[] userRows, int[] movieRows, float[] labels, float[] features, int batch) {
    if (rowGradUser.length < batch * stride) {
      rowGradUser = new float[batch * stride];
      rowGradMovie = new float[batch * stride];
    }
    float invB = 1f / batch;
    int used = Math.min(threads, batch);
    if (used == 1 || pool == null) {
      workers[0].run(userRows, movieRows, labels, features, 0, batch, invB);
    } else {
      List<Callable<Void>> tasks = new ArrayList<>(used - 1);
      for (int t = 1; t < used; t++) {
        Worker wk = workers[t];
        int lo = (int) ((long) batch * t / used);
        int hi = (int) ((long) batch * (t + 1) / used);
        tasks.add(
            () -> {
              wk.run(userRows, movieRows, labels, features, lo, hi, invB);
              return null;
            });
      }
      List<Future<Void>> futures = new ArrayList<>(tasks.size());
      for (Callable<Void> task : tasks) {
        futures.add(pool.submit(task));
      }
      workers[0].run(userRows, movieRows, labels, features, 0, (int) ((long) batch / used), invB);
      for (Future<Void> f : futures) {
        await(f);
      }
    }
    double sq = 0;
    for (int t = 0; t < used; t++) {
      Worker wk = workers[t];
      sq += wk.squaredError;
      wk.squaredError = 0;
      for (int l = 0; l < layers; l++) {
        addAndClear(gKernels[l], wk.dKernels[l]);
        addAndClear(gBiases[l], wk.dBiases[l]);
      }
    }
    reduceRows(userRows, movieRows, batch);
    return sq;
  }

  private static void await(Future<Void> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("training interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a training worker failed", e.getCause());
    }
  }

  private static void addAndClear(float[] into, float[] from) {
    for (int i = 0; i < into.length; i++) {
      into[i] += from[i];
    }
    Arrays.fill(from, 0f);
  }

  private void reduceRows(int[] userRows, int[] movieRows, int batch) {
    stamp++;
    touchedUsers.clear();
    touchedMovies.clear();
    for (int e = 0; e < batch; e++) {
      int u = userRows[e];
      int m = movieRows[e];
      if (stampUser[u] != stamp) {
        stampUser[u] = stamp;
        touchedUsers.add(u);
      }
      if (stampMovie[m] != stamp) {
        stampMovie[m] = stamp;
        touchedMovies.add(m);
      }
      addSlot(rowGradUser, e, u, gUserBias, gUserFactors, gUserMlp);
      addSlot(rowGradMovie, e, m, gMovieBias, gMovieFactors, gMovieMlp);
    }
  }

  private void addSlot(float[] slots, int e, int row, float[] gb, float[] gf, float[] gm) {
    int s = e * stride;
    gb[row] += slots[s];
    int o = row * d;
    for (int i = 0; i < d; i++) {
      gf[o + i] += slots[s + 1 + i];
    }
    if (!shared) {
      for (int i = 0; i < d; i++) {
        gm[o + i] += slots[s + 1 + d + i];
      }
    }
  }

  /** Applies the gradient in the g* arrays with the optimizer and zeroes them. */
  void step(float lr) {
    step++;
    boolean adam = cfg.optimizer() == ModelConfig.Optimizer.ADAM;
    float lrT = lr;
    if (adam) {
      double c1 = 1 - Math.pow(BETA1, step);
      double c2 = 1 - Math.pow(BETA2, step);
      lrT = (float) (lr * Math.sqrt(c2) / c1);
    }
    float twoL2 = 2f * cfg.l2Dense();
    for (int l = 0; l < layers; l++) {
      float[] k = w.kernels[l];
      float[] g = gKernels[l];
      for (int i = 0; i < g.length; i++) {
        g[i] += twoL2 * k[i];
      }
      update(k, g, sKernels1[l], sKernels2[l], 0, k.length, lrT, adam);
      update(w.biases[l], gBiases[l], sBiases1[l], sBiases2[l], 0, w.biases[l].length, lrT, adam);
    }
    for (int i = 0; i < touchedUsers.size; i++) {
      int u = touchedUsers.items[i];
      update(w.userBias, gUserBias, sUserBias1, sUserBias2, u, u + 1, lrT, adam);
      update(
          w.userFactors, gUserFactors, sUserFactors1, sUserFactors2, u * d, u * d + d, lrT, adam);
      if (!shared) {
        update(w.userMlp, gUserMlp, sUserMlp1, sUserMlp2, u * d, u * d + d, lrT, adam);
      }
    }
    for (int i = 0; i < touchedMovies.size; i++) {
      int m = touchedMovies.items[i];
      update(w.movieBias, gMovieBias, sMovieBias1, sMovieBias2, m, m + 1, lrT, adam);
      update(
          w.movieFactors,
          gMovieFactors,
          sMovieFactors1,
          sMovieFactors2,
          m * d,
          m * d + d,
          lrT,
          adam);
      if (!shared) {
        update(w.movieMlp, gMovieMlp, sMovieMlp1, sMovieMlp2, m * d, m * d + d, lrT, adam);
      }
    }
    transposeKernels();
  }

  /** One optimizer update of {@code p[from..to)} with gradient {@code g}, which it zeroes. */
  private static void update(
      float[] p, float[] g, float[] s1, float[] s2, int from, int to, float lr, boolean adam) {
    if (adam) {
      for (int i = from; i < to; i++) {
        float gi = g[i];
        float m = BETA1 * s1[i] + (1f - BETA1) * gi;
        float v = BETA2 * s2[i] + (1f - BETA2) * gi * gi;
        s1[i] = m;
        s2[i] = v;
        p[i] -= lr * m / ((float) Math.sqrt(v) + EPSILON);
        g[i] = 0f;
      }
    } else {
      for (int i = from; i < to; i++) {
        float gi = g[i];
        float acc = s1[i] + gi * gi;
        s1[i] = acc;
        p[i] -= lr * gi / ((float) Math.sqrt(acc) + EPSILON);
        g[i] = 0f;
      }
    }
  }

  private void transposeKernels() {
    for (int l = 0; l < layers; l++) {
      int in = w.layerIn[l];
      int out = w.layerOut[l];
      float[] k = w.kernels[l];
      float[] t = kernelsT[l];
      for (int i = 0; i < in; i++) {
        for (int j = 0; j < out; j++) {
          t[j * in + i] = k[i * out + j];
        }
      }
    }
  }

  /**
   * The minibatch loss of the trainer's objective (see {@link ModelConfig}), in double over float
   * scores; for gradient checks.
   */
  double loss(int[] userRows, int[] movieRows, float[] labels, float[] features, int batch) {
    Net.Scratch s = new Net.Scratch(w);
    double sum = 0;
    for (int e = 0; e < batch; e++) {
      int u = userRows[e];
      int m = movieRows[e];
      double err = Net.score(w, u, m, features, e * numFeatures, s) - labels[e];
      double reg = sq(w.userFactors, u * d) + sq(w.movieFactors, m * d);
      if (!shared) {
        reg += sq(w.userMlp, u * d) + sq(w.movieMlp, m * d);
      }
      sum += err * err;
      sum += cfg.l2Embedding() * reg;
      sum +=
          cfg.l2Bias()
              * ((double) w.userBias[u] * w.userBias[u] + (double) w.movieBias[m] * w.movieBias[m]);
    }
    double dense = 0;
    for (float[] k : w.kernels) {
      for (float v : k) {
        dense += (double) v * v;
      }
    }
    return sum / batch + cfg.l2Dense() * dense;
  }

  private double sq(float[] a, int o) {
    double s = 0;
    for (int i = 0; i < d; i++) {
      s += (double) a[o + i] * a[o + i];
    }
    return s;
  }

  /** One thread's buffers. */
  private final class Worker {
    final Net.Scratch scratch = new Net.Scratch(w);
    final float[][] dKernels = new float[layers][];
    final float[][] dBiases = new float[layers][];
    final float[][] deltas = new float[layers][];
    final float[] dx = new float[w.layerIn[0]];
    double squaredError;

    Worker() {
      for (int l = 0; l < layers; l++) {
        dKernels[l] = new float[w.kernels[l].length];
        dBiases[l] = new float[w.biases[l].length];
        deltas[l] = new float[w.layerOut[l]];
      }
    }

    void run(
        int[] userRows,
        int[] movieRows,
        float[] labels,
        float[] features,
        int lo,
        int hi,
        float invB) {
      float c = 2f * cfg.l2Embedding() * invB;
      float cb = 2f * cfg.l2Bias() * invB;
      double sqErr = 0;
      for (int e = lo; e < hi; e++) {
        int u = userRows[e];
        int m = movieRows[e];
        float score = Net.score(w, u, m, features, e * numFeatures, scratch);
        float err = score - labels[e];
        sqErr += (double) err * err;
        float g = 2f * err * invB;
        int s = e * stride;
        rowGradUser[s] = g + cb * w.userBias[u];
        rowGradMovie[s] = g + cb * w.movieBias[m];
        int uo = u * d;
        int mo = m * d;
        for (int i = 0; i < d; i++) {
          float pu = w.userFactors[uo + i];
          float qm = w.movieFactors[mo + i];
          rowGradUser[s + 1 + i] = g * qm + c * pu;
          rowGradMovie[s + 1 + i] = g * pu + c * qm;
        }
        backward(g);
        if (shared) {
          for (int i = 0; i < d; i++) {
            rowGradUser[s + 1 + i] += dx[i];
            rowGradMovie[s + 1 + i] += dx[d + i];
          }
        } else {
          for (int i = 0; i < d; i++) {
            rowGradUser[s + 1 + d + i] = dx[i] + c * w.userMlp[uo + i];
            rowGradMovie[s + 1 + d + i] = dx[d + i] + c * w.movieMlp[mo + i];
          }
        }
      }
      squaredError += sqErr;
    }

    /** Back-propagates dLoss/dScore = g through the MLP into dKernels, dBiases and dx. */
    private void backward(float g) {
      float[][] acts = scratch.acts;
      deltas[layers - 1][0] = g;
      for (int l = layers - 1; l >= 0; l--) {
        float[] a = l == 0 ? scratch.x : acts[l - 1];
        float[] delta = deltas[l];
        int in = w.layerIn[l];
        int out = w.layerOut[l];
        float[] db = dBiases[l];
        for (int j = 0; j < out; j++) {
          db[j] += delta[j];
        }
        float[] dk = dKernels[l];
        for (int k = 0; k < in; k++) {
          float ak = a[k];
          if (ak != 0f) {
            int base = k * out;
            for (int j = 0; j < out; j++) {
              dk[base + j] += ak * delta[j];
            }
          }
        }
        float[] prev = l == 0 ? dx : deltas[l - 1];
        Arrays.fill(prev, 0f);
        float[] kt = kernelsT[l];
        for (int j = 0; j < out; j++) {
          float dj = delta[j];
          if (dj != 0f) {
            int base = j * in;
            for (int k = 0; k < in; k++) {
              prev[k] += dj * kt[base + k];
            }
          }
        }
        if (l > 0) {
          float[] act = acts[l - 1];
          for (int k = 0; k < in; k++) {
            if (!(act[k] > 0f)) {
              prev[k] = 0f;
            }
          }
        }
      }
    }
  }

  /** A growable int list without boxing. */
  private static final class IntList {
    int[] items = new int[64];
    int size;

    void add(int v) {
      if (size == items.length) {
        items = Arrays.copyOf(items, size * 2);
      }
      items[size++] = v;
    }

    void clear() {
      size = 0;
    }
  }
}
