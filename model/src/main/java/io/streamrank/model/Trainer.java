package io.streamrank.model;

import io.streamrank.datasets.Rating;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link RankingModel} with minibatch SGD (Adam or Adagrad), L2, a per-epoch learning-rate
 * decay and early stopping on validation RMSE (the best weights are restored).
 *
 * <p>Every core is used through synchronous data parallelism (see {@code TrainingEngine}): the same
 * seed and the same {@link ModelConfig#threads()} give bit-identical weights. The vocabularies are
 * the users and movies of the training rows, in ascending id order.
 */
public final class Trainer {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final float INIT_EMBEDDING = 0.05f;

  /** Trains without extra features ({@link ModelConfig#numFeatures()} must be 0). */
  public RankingModel train(
      List<Rating> train, List<Rating> valid, ModelConfig cfg, TrainingListener listener) {
    return train(train, null, valid, null, cfg, listener);
  }

  /**
   * Trains with per-row features.
   *
   * @param trainFeatures one array of {@link ModelConfig#numFeatures()} values per training row,
   *     null when there are no features
   * @param validFeatures the same for the validation rows
   * @param listener called after every epoch, may stop training
   */
  public RankingModel train(
      List<Rating> train,
      float[][] trainFeatures,
      List<Rating> valid,
      float[][] validFeatures,
      ModelConfig cfg,
      TrainingListener listener) {
    try (Session s = start(train, trainFeatures, valid, validFeatures, cfg)) {
      s.trainTo(cfg.epochs(), listener);
      return s.model();
    }
  }

  /**
   * Prepares a training run without training: {@link Session#trainTo} then trains it in steps that
   * continue one another (weights, optimizer state, weight average, data order, epoch counter and
   * early-stopping state carry over), so training to 3 epochs and then on to 9 gives the same
   * weights as training to 9 at once. {@link ModelConfig#epochs()} is not used; the arguments are
   * as for {@link #train(List, float[][], List, float[][], ModelConfig, TrainingListener)}.
   */
  public Session start(
      List<Rating> train,
      float[][] trainFeatures,
      List<Rating> valid,
      float[][] validFeatures,
      ModelConfig cfg) {
    return new Session(train, trainFeatures, valid, validFeatures, cfg);
  }

  /**
   * A training run that can be continued: holds the weights, the optimizer state and the
   * early-stopping state between calls to {@link #trainTo}. Close it to stop its threads.
   */
  public static final class Session implements AutoCloseable {
    private final ModelConfig cfg;
    private final Vocabulary users;
    private final Vocabulary movies;
    private final int n;
    private final int[] vu;
    private final int[] vm;
    private final float[] vy;
    private final float[] validF;
    private final ExecutorService pool;
    private final TrainingEngine engine;
    private final TrainingEngine[] hogwildEngines;
    private final Batches data;
    private final ModelWeights avg;
    private final Averager averager;
    private final SplittableRandom rng;
    private final int[] perm;
    private ModelWeights best;
    private double bestValid = Double.POSITIVE_INFINITY;
    private int bad;
    private int epochs;
    private boolean stopped;
    private boolean closed;

    private Session(
        List<Rating> train,
        float[][] trainFeatures,
        List<Rating> valid,
        float[][] validFeatures,
        ModelConfig cfg) {
      Objects.requireNonNull(cfg, "cfg");
      if (train.isEmpty()) {
        throw new IllegalArgumentException("no training rows");
      }
      this.cfg = cfg;
      int f = cfg.numFeatures();
      float[] trainF = packFeatures(trainFeatures, train.size(), f, "trainFeatures");
      validF = packFeatures(validFeatures, valid.size(), f, "validFeatures");

      users = Vocabulary.of(train.stream().mapToLong(Rating::userId).distinct().sorted().toArray());
      movies =
          Vocabulary.of(train.stream().mapToLong(Rating::movieId).distinct().sorted().toArray());
      n = train.size();
      int[] uRows = new int[n];
      int[] mRows = new int[n];
      float[] labels = new float[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        Rating r = train.get(i);
        uRows[i] = users.row(r.userId());
        mRows[i] = movies.row(r.movieId());
        labels[i] = r.rating();
        sum += r.rating();
      }
      float mean = (float) (sum / n);
      ModelWeights w = ModelWeights.zeros(cfg, users.size(), movies.size(), mean);
      initialise(w, cfg.seed());

      int nv = valid.size();
      vu = new int[nv];
      vm = new int[nv];
      vy = new float[nv];
      for (int i = 0; i < nv; i++) {
        Rating r = valid.get(i);
        vu[i] = users.row(r.userId());
        vm[i] = movies.row(r.movieId());
        vy[i] = r.rating();
      }

      int threads = cfg.threads();
      pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, daemons()) : null;
      engine = new TrainingEngine(cfg, w, pool);
      rng = new SplittableRandom(cfg.seed() ^ 0x5DEECE66DL);
      perm = new int[n];
      for (int i = 0; i < n; i++) {
        perm[i] = i;
      }
      data = new Batches(uRows, mRows, labels, trainF, f, cfg.batchSize(), cfg.oovRate());
      float decay = cfg.averageDecay();
      // With averaging on, the average is what is validated, kept and returned.
      avg = decay > 0 ? w.deepCopy() : w;
      averager = decay > 0 ? new Averager(avg, w, decay) : null;
      boolean hogwild = cfg.parallelism() == ModelConfig.Parallelism.HOGWILD && threads > 1;
      hogwildEngines = hogwild ? hogwildEngines(cfg, w) : null;
    }

    /** Epochs trained so far, over every call to {@link #trainTo}. */
    public int epochs() {
      return epochs;
    }

    /** Whether early stopping or a listener ended the run: {@link #trainTo} then trains no more. */
    public boolean stopped() {
      return stopped;
    }

    /**
     * Trains on until {@code totalEpochs} epochs have been trained in all, early stopping or the
     * listener ends the run, whichever comes first. The listener sees the run's epoch numbers
     * (1-based, continuing from earlier calls).
     */
    public void trainTo(int totalEpochs, TrainingListener listener) {
      Objects.requireNonNull(listener, "listener");
      if (closed) {
        throw new IllegalStateException("training session is closed");
      }
      int threads = cfg.threads();
      int nv = vy.length;
      while (!stopped && epochs < totalEpochs) {
        int epoch = epochs;
        long start = System.nanoTime();
        float lr = (float) (cfg.learningRate() * Math.pow(cfg.lrDecay(), epoch));
        shuffle(perm, rng);
        double sq;
        if (hogwildEngines != null) {
          sq = hogwildEpoch(hogwildEngines, data, perm, rng, lr, averager, pool);
        } else {
          sq = data.run(engine, perm, 0, n, rng, lr, averager);
        }
        epochs++;
        double trainRmse = Math.sqrt(sq / n);
        double validRmse = nv == 0 ? Double.NaN : rmse(avg, vu, vm, vy, validF, pool, threads);
        LOG.debug(
            "epoch {} lr {} train rmse {} valid rmse {} in {} ms",
            epoch + 1,
            lr,
            trainRmse,
            validRmse,
            (System.nanoTime() - start) / 1_000_000);
        if (!Double.isFinite(trainRmse)) {
          throw new IllegalStateException(
              "training diverged at epoch "
                  + (epoch + 1)
                  + " (train RMSE "
                  + trainRmse
                  + "); lower learningRate");
        }
        boolean goOn = listener.onEpoch(epoch + 1, trainRmse, validRmse);
        if (nv > 0) {
          if (validRmse < bestValid) {
            bestValid = validRmse;
            bad = 0;
            if (best == null) {
              best = avg.deepCopy();
            } else {
              best.copyFrom(avg);
            }
          } else if (++bad >= cfg.patience()) {
            stopped = true;
          }
        }
        if (!goOn) {
          stopped = true;
        }
      }
    }

    /** The model with the best weights so far (the last ones when there are no validation rows). */
    public RankingModel model() {
      return new RankingModel(cfg, users, movies, best != null ? best : avg);
    }

    /** Stops the training threads; the session can train no more. */
    @Override
    public void close() {
      closed = true;
      if (pool != null) {
        pool.shutdownNow();
      }
    }
  }

  /** One engine per thread, each single-threaded, all updating the same weights without locks. */
  private static TrainingEngine[] hogwildEngines(ModelConfig cfg, ModelWeights w) {
    ModelConfig single = cfg.toBuilder().threads(1).build();
    TrainingEngine[] engines = new TrainingEngine[cfg.threads()];
    for (int t = 0; t < engines.length; t++) {
      engines[t] = new TrainingEngine(single, w, null);
    }
    return engines;
  }

  /**
   * Hogwild: each thread takes a contiguous part of the epoch's permutation and steps on the shared
   * weights with its own optimizer state, without synchronisation; thread 0 keeps the average.
   */
  private static double hogwildEpoch(
      TrainingEngine[] engines,
      Batches data,
      int[] perm,
      SplittableRandom rng,
      float lr,
      Averager averager,
      ExecutorService pool) {
    int threads = engines.length;
    int n = perm.length;
    List<Future<Double>> futures = new ArrayList<>();
    for (int t = 1; t < threads; t++) {
      TrainingEngine e = engines[t];
      int lo = (int) ((long) n * t / threads);
      int hi = (int) ((long) n * (t + 1) / threads);
      SplittableRandom local = rng.split();
      Batches own = data.copy();
      futures.add(pool.submit(() -> own.run(e, perm, lo, hi, local, lr, null)));
    }
    double sq = data.run(engines[0], perm, 0, (int) ((long) n / threads), rng, lr, averager);
    for (Future<Double> f : futures) {
      try {
        sq += f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("training interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("a Hogwild worker failed", e.getCause());
      }
    }
    return sq;
  }

  /** Training rows and one set of minibatch buffers. */
  private static final class Batches {
    final int[] uRows;
    final int[] mRows;
    final float[] labels;
    final float[] features;
    final int f;
    final int bs;
    final float oov;
    final int[] bu;
    final int[] bm;
    final float[] by;
    final float[] bf;

    Batches(int[] uRows, int[] mRows, float[] labels, float[] features, int f, int bs, float oov) {
      this.uRows = uRows;
      this.mRows = mRows;
      this.labels = labels;
      this.features = features;
      this.f = f;
      this.bs = bs;
      this.oov = oov;
      bu = new int[bs];
      bm = new int[bs];
      by = new float[bs];
      bf = f > 0 ? new float[bs * f] : null;
    }

    Batches copy() {
      return new Batches(uRows, mRows, labels, features, f, bs, oov);
    }

    /** Steps through {@code perm[from..to)} in minibatches; returns the sum of squared errors. */
    double run(
        TrainingEngine engine,
        int[] perm,
        int from,
        int to,
        SplittableRandom rng,
        float lr,
        Averager averager) {
      double sq = 0;
      for (int lo = from; lo < to; lo += bs) {
        int b = Math.min(bs, to - lo);
        for (int e = 0; e < b; e++) {
          int row = perm[lo + e];
          bu[e] = oov > 0 && rng.nextFloat() < oov ? 0 : uRows[row];
          bm[e] = oov > 0 && rng.nextFloat() < oov ? 0 : mRows[row];
          by[e] = labels[row];
          if (f > 0) {
            System.arraycopy(features, row * f, bf, e * f, f);
          }
        }
        sq += engine.computeGradients(bu, bm, by, bf, b);
        engine.step(lr);
        if (averager != null) {
          averager.update();
        }
      }
      return sq;
    }
  }

  /** The moving average of the weights. */
  private static final class Averager {
    final ModelWeights avg;
    final ModelWeights w;
    final float decay;
    long steps;

    Averager(ModelWeights avg, ModelWeights w, float decay) {
      this.avg = avg;
      this.w = w;
      this.decay = decay;
    }

    void update() {
      // TensorFlow's warm-up: early on the average follows the weights closely.
      steps++;
      avg.blend(w, Math.min(decay, (1f + steps) / (10f + steps)));
    }
  }

  private static float[] packFeatures(float[][] rows, int n, int f, String name) {
    if (f == 0) {
      if (rows != null && rows.length > 0 && rows[0] != null && rows[0].length > 0) {
        throw new IllegalArgumentException(name + " given but numFeatures is 0");
      }
      return null;
    }
    if (rows == null || rows.length != n) {
      throw new IllegalArgumentException(
          name
              + " must have one row per rating ("
              + n
              + "), got "
              + (rows == null ? "null" : rows.length));
    }
    float[] packed = new float[n * f];
    for (int i = 0; i < n; i++) {
      if (rows[i] == null || rows[i].length != f) {
        throw new IllegalArgumentException(
            name
                + "["
                + i
                + "] must have "
                + f
                + " values, got "
                + (rows[i] == null ? "null" : rows[i].length));
      }
      System.arraycopy(rows[i], 0, packed, i * f, f);
    }
    return packed;
  }

  /** Keras-like initialisation: uniform embeddings, Glorot-uniform kernels, zero biases. */
  static void initialise(ModelWeights w, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    uniform(w.userFactors, INIT_EMBEDDING, rng);
    uniform(w.movieFactors, INIT_EMBEDDING, rng);
    if (!w.sharedEmbeddings()) {
      uniform(w.userMlp, INIT_EMBEDDING, rng);
      uniform(w.movieMlp, INIT_EMBEDDING, rng);
    }
    for (int l = 0; l < w.kernels.length; l++) {
      float limit = (float) Math.sqrt(6.0 / (w.layerIn[l] + w.layerOut[l]));
      uniform(w.kernels[l], limit, rng);
    }
  }

  private static void uniform(float[] a, float limit, SplittableRandom rng) {
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
    }
  }

  private static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  private static double rmse(
      ModelWeights w,
      int[] u,
      int[] m,
      float[] y,
      float[] features,
      ExecutorService pool,
      int threads) {
    int n = y.length;
    int chunks = pool == null ? 1 : Math.min(threads, Math.max(1, n / 1024));
    double[] partial = new double[chunks];
    List<Future<?>> futures = new ArrayList<>();
    for (int c = 1; c < chunks; c++) {
      int lo = (int) ((long) n * c / chunks);
      int hi = (int) ((long) n * (c + 1) / chunks);
      int idx = c;
      futures.add(pool.submit(() -> partial[idx] = squaredError(w, u, m, y, features, lo, hi)));
    }
    partial[0] = squaredError(w, u, m, y, features, 0, (int) ((long) n / chunks));
    for (Future<?> fu : futures) {
      try {
        fu.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("validation interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("a validation worker failed", e.getCause());
      }
    }
    double sq = 0;
    for (double p : partial) {
      sq += p;
    }
    return Math.sqrt(sq / n);
  }

  private static double squaredError(
      ModelWeights w, int[] u, int[] m, float[] y, float[] features, int lo, int hi) {
    Net.Scratch s = new Net.Scratch(w);
    int f = w.numFeatures;
    double sq = 0;
    for (int i = lo; i < hi; i++) {
      double err = Net.score(w, u[i], m[i], features, i * f, s) - y[i];
      sq += err * err;
    }
    return sq;
  }

  private static ThreadFactory daemons() {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "streamrank-trainer-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
