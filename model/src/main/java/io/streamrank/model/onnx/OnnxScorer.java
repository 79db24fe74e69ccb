package io.streamrank.model.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores batches with an ONNX Runtime session over a streamrank model.
 *
 * <p>Thread-safe: concurrent {@link #score} calls run concurrently on the one session (ONNX Runtime
 * sessions allow that), each with its own set of direct input/output buffers taken from a pool, so
 * the operator instances of a TaskManager can share one scorer (see {@link SharedScorers}). {@link
 * #close()} waits for running calls; any use after it throws {@link IllegalStateException}.
 *
 * <p>All scorers share the JVM's one {@link OrtEnvironment}. Tensors are created over reused direct
 * buffers allocated once at {@link ScorerOptions#maxBatchSize()} rows, and the output is written by
 * ONNX Runtime straight into a pinned direct buffer; every tensor and result is closed.
 */
public final class OnnxScorer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxScorer.class);

  private final OrtEnvironment env;
  private final OrtSession session;
  private final ModelSignature signature;
  private final Device activeDevice;
  private final ScorerOptions options;
  private final int numFeatures;
  private final Map<String, String> metadata;
  private final ConcurrentLinkedDeque<Buffers> buffers = new ConcurrentLinkedDeque<>();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private OnnxScorer(
      OrtEnvironment env,
      OrtSession session,
      ModelSignature signature,
      Device activeDevice,
      ScorerOptions options,
      Map<String, String> metadata) {
    this.env = env;
    this.session = session;
    this.signature = signature;
    this.activeDevice = activeDevice;
    this.options = options;
    this.numFeatures = signature.numFeatures();
    this.metadata = Map.copyOf(metadata);
  }

  /**
   * Loads a model and checks its signature.
   *
   * @throws ModelValidationException when ONNX Runtime cannot load the model or its signature is
   *     not a streamrank scoring signature
   * @throws IllegalStateException when CUDA was requested and its execution provider does not load
   */
  public static OnnxScorer open(byte[] onnxModel, ScorerOptions options) {
    Objects.requireNonNull(onnxModel, "onnxModel");
    Objects.requireNonNull(options, "options");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session;
    Device active;
    if (options.device() == Device.CPU) {
      session = createSession(env, onnxModel, options);
      active = Device.CPU;
    } else {
      OrtSession cuda;
      try {
        cuda = createCudaSession(env, onnxModel, options);
      } catch (OrtException e) {
        if (options.device() == Device.CUDA) {
          throw new IllegalStateException(
              "device CUDA was requested but ONNX Runtime's CUDA execution provider did not load ("
                  + e.getMessage()
                  + "); build with -Pgpu (onnxruntime_gpu) on a machine with CUDA, or use device"
                  + " AUTO or CPU",
              e);
        }
        LOG.info("CUDA execution provider unavailable ({}); scoring on CPU", e.getMessage());
        cuda = null;
      }
      if (cuda != null) {
        session = cuda;
        active = Device.CUDA;
      } else {
        session = createSession(env, onnxModel, options);
        active = Device.CPU;
      }
    }
    try {
      ModelSignature sig = signatureOf(session).requireScoring("ONNX model");
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      LOG.info(
          "ONNX scorer ready on {} (version {}, {} features, {} intra-op threads)",
          active,
          meta.getOrDefault(OnnxExporter.META_VERSION, "?"),
          sig.numFeatures(),
          options.intraOpThreads());
      return new OnnxScorer(env, session, sig, active, options, meta);
    } catch (OrtException | RuntimeException e) {
      try {
        session.close();
      } catch (OrtException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new ModelValidationException("cannot read the model's signature: " + e.getMessage(), e);
    }
  }

  private static OrtSession createCudaSession(
      OrtEnvironment env, byte[] model, ScorerOptions options) throws OrtException {
    try (OrtSession.SessionOptions so = sessionOptions(options)) {
      // Throws when this ONNX Runtime build has no CUDA provider or CUDA itself cannot load.
      so.addCUDA(0);
      try {
        return env.createSession(model, so);
      } catch (OrtException e) {
        if (options.device() == Device.CUDA) {
          throw new ModelValidationException(
              "ONNX Runtime cannot create a CUDA session for the model ("
                  + model.length
                  + " bytes): "
                  + e.getMessage(),
              e);
        }
        throw e;
      }
    }
  }

  private static OrtSession createSession(OrtEnvironment env, byte[] model, ScorerOptions options) {
    try (OrtSession.SessionOptions so = sessionOptions(options)) {
      return env.createSession(model, so);
    } catch (OrtException e) {
      throw new ModelValidationException(
          "ONNX Runtime cannot load the model (" + model.length + " bytes): " + e.getMessage(), e);
    }
  }

  private static OrtSession.SessionOptions sessionOptions(ScorerOptions options) {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      so.setIntraOpNumThreads(options.intraOpThreads());
      so.setInterOpNumThreads(1);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      return so;
    } catch (OrtException e) {
      so.close();
      throw new IllegalStateException("cannot configure the ONNX Runtime session", e);
    }
  }

  private static ModelSignature signatureOf(OrtSession session) throws OrtException {
    return new ModelSignature(specs(session.getInputInfo()), specs(session.getOutputInfo()));
  }

  private static List<ModelSignature.TensorSpec> specs(Map<String, NodeInfo> infos) {
    List<ModelSignature.TensorSpec> out = new ArrayList<>();
    for (NodeInfo n : infos.values()) {
      if (n.getInfo() instanceof TensorInfo t) {
        List<Long> shape = new ArrayList<>();
        for (long d : t.getShape()) {
          shape.add(d);
        }
        out.add(new ModelSignature.TensorSpec(n.getName(), typeName(t.type), shape));
      } else {
        out.add(new ModelSignature.TensorSpec(n.getName(), "non-tensor", List.of()));
      }
    }
    return out;
  }

  private static String typeName(OnnxJavaType t) {
    return switch (t) {
      case INT64 -> ModelSignature.INT64;
      case FLOAT -> ModelSignature.FLOAT;
      default -> t.name().toLowerCase(Locale.ROOT);
    };
  }

  /**
   * Scores {@code n} rows into {@code out[0..n)}; calls with more than {@link
   * ScorerOptions#maxBatchSize()} rows are run in several batches.
   *
   * @param features {@code n * F} values row-major when the model has F > 0 features, else null
   */
  public void score(long[] users, long[] movies, float[] features, int n, float[] out) {
    if (n < 0 || users.length < n || movies.length < n || out.length < n) {
      throw new IllegalArgumentException(
          "arrays shorter than n="
              + n
              + ": users="
              + users.length
              + " movies="
              + movies.length
              + " out="
              + out.length);
    }
    if (numFeatures > 0 && (features == null || features.length < (long) n * numFeatures)) {
      throw new IllegalArgumentException(
          "the model expects "
              + numFeatures
              + " features per row: need "
              + ((long) n * numFeatures)
              + " values, got "
              + (features == null ? "null" : features.length));
    }
    ReentrantReadWriteLock.ReadLock read = lock.readLock();
    read.lock();
    try {
      if (closed) {
        throw new IllegalStateException("scorer is closed");
      }
      Buffers b = buffers.pollFirst();
      if (b == null) {
        b = new Buffers(options.maxBatchSize(), numFeatures);
      }
      try {
        int max = options.maxBatchSize();
        for (int lo = 0; lo < n; lo += max) {
          run(b, users, movies, features, lo, Math.min(max, n - lo), out);
        }
      } finally {
        buffers.offerFirst(b);
      }
    } finally {
      read.unlock();
    }
  }

  private void run(
      Buffers b, long[] users, long[] movies, float[] features, int lo, int n, float[] out) {
    b.users.clear();
    b.users.put(users, lo, n).flip();
    b.movies.clear();
    b.movies.put(movies, lo, n).flip();
    b.scores.clear().limit(n);
    long[] shape = {n};
    try (OnnxTensor u = OnnxTensor.createTensor(env, b.users, shape);
        OnnxTensor m = OnnxTensor.createTensor(env, b.movies, shape);
        OnnxTensor f = featureTensor(b, features, lo, n);
        OnnxTensor s = OnnxTensor.createTensor(env, b.scores, shape)) {
      Map<String, OnnxTensor> inputs = new HashMap<>(4);
      inputs.put(ModelSignature.USER_ID, u);
      inputs.put(ModelSignature.MOVIE_ID, m);
      if (f != null) {
        inputs.put(ModelSignature.FEATURES, f);
      }
      try (OrtSession.Result r = session.run(inputs, Map.of(ModelSignature.SCORE, s))) {
        b.scores.rewind();
        b.scores.get(out, lo, n);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed to score " + n + " rows", e);
    }
  }

  private OnnxTensor featureTensor(Buffers b, float[] features, int lo, int n) throws OrtException {
    if (numFeatures == 0) {
      return null;
    }
    b.features.clear();
    b.features.put(features, lo * numFeatures, n * numFeatures).flip();
    return OnnxTensor.createTensor(env, b.features, new long[] {n, numFeatures});
  }

  /** The device ONNX Runtime runs on (AUTO resolved). */
  public Device activeDevice() {
    return activeDevice;
  }

  /** The model's checked input/output signature. */
  public ModelSignature signature() {
    return signature;
  }

  /** Features per row the model expects. */
  public int numFeatures() {
    return numFeatures;
  }

  /** The model's custom metadata ({@code version}, {@code hyperparameters}, ...). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The options it was opened with. */
  public ScorerOptions options() {
    return options;
  }

  /** Waits for running calls, then closes the session; idempotent. */
  @Override
  public void close() {
    ReentrantReadWriteLock.WriteLock write = lock.writeLock();
    write.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      buffers.clear();
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close the ONNX Runtime session", e);
    } finally {
      write.unlock();
    }
  }

  /** Direct buffers for one concurrent call. */
  private static final class Buffers {
    final LongBuffer users;
    final LongBuffer movies;
    final FloatBuffer features;
    final FloatBuffer scores;

    Buffers(int rows, int numFeatures) {
      users = direct(rows * 8L).asLongBuffer();
      movies = direct(rows * 8L).asLongBuffer();
      features = numFeatures > 0 ? direct((long) rows * numFeatures * 4).asFloatBuffer() : null;
      scores = direct(rows * 4L).asFloatBuffer();
    }

    private static ByteBuffer direct(long bytes) {
      if (bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("batch buffer of " + bytes + " bytes is too large");
      }
      return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
    }
  }
}
