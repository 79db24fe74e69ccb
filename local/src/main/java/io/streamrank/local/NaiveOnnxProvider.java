package io.streamrank.local;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.streamrank.model.onnx.ModelSignature;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.streaming.ModelProvider;
import io.streamrank.streaming.ScoringModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bench's {@code naive} baseline: per-event ONNX Runtime scoring as most Flink + ONNX examples
 * (and the Crayfish benchmark's wrapper) do it. For every event it builds boxed Java lists, copies
 * them into new Java arrays, creates new input tensors from those arrays (ONNX Runtime copies them
 * into native memory), runs the session with an unbound output and reads the score back as a Java
 * array. Unlike Crayfish it closes its tensors and results, so it does not leak native memory. Only
 * for the benchmark: the job's own scorer feeds reused direct buffers in micro-batches.
 */
final class NaiveOnnxProvider implements ModelProvider {
  private static final long serialVersionUID = 1L;

  private final String registryUri;
  private final String version;

  /**
   * @param registryUri the registry holding the version
   * @param version the version to serve
   */
  NaiveOnnxProvider(String registryUri, String version) {
    this.registryUri = registryUri;
    this.version = version;
  }

  @Override
  public ScoringModel openInitial(int maxBatchSize) throws Exception {
    byte[] onnx = new ModelRegistry(registryUri).load(version).onnx();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(1);
    return new Naive(env, env.createSession(onnx, options), options, version);
  }

  @Override
  public ScoringModel open(ModelUpdate announcement, int maxBatchSize) {
    throw new UnsupportedOperationException("the naive bench model does not swap");
  }

  /** One session, one event per call. */
  private static final class Naive extends BenchModel {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final OrtSession.SessionOptions options;

    Naive(
        OrtEnvironment env, OrtSession session, OrtSession.SessionOptions options, String version) {
      super(version);
      this.env = env;
      this.session = session;
      this.options = options;
    }

    @Override
    public void score(long[] users, long[] movies, int n, float[] out) {
      for (int i = 0; i < n; i++) {
        out[i] = scoreOne(users[i], movies[i]);
      }
    }

    private float scoreOne(long user, long movie) {
      List<Long> userIds = new ArrayList<>(List.of(user));
      List<Long> movieIds = new ArrayList<>(List.of(movie));
      try (OnnxTensor u = OnnxTensor.createTensor(env, toArray(userIds));
          OnnxTensor m = OnnxTensor.createTensor(env, toArray(movieIds))) {
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put(ModelSignature.USER_ID, u);
        inputs.put(ModelSignature.MOVIE_ID, m);
        try (OrtSession.Result r = session.run(inputs)) {
          return ((float[]) r.get(0).getValue())[0];
        }
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime failed to score one event", e);
      }
    }

    private static long[] toArray(List<Long> values) {
      long[] a = new long[values.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = values.get(i);
      }
      return a;
    }

    @Override
    public void close() {
      try {
        session.close();
      } catch (OrtException e) {
        throw new IllegalStateException("cannot close the naive bench model's session", e);
      } finally {
        options.close();
      }
    }
  }
}
