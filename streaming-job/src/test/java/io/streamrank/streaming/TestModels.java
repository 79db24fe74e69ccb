package io.streamrank.streaming;

import io.streamrank.schemas.ModelUpdate;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test kit model provider: deterministic arithmetic models whose behaviour the announcement's
 * bundle URI picks ({@code test://ok}, {@code test://reject/REASON}, {@code test://slow}, {@code
 * test://worse}). Counts open models so tests can assert every one was closed.
 */
final class TestModels {
  static final AtomicInteger OPEN = new AtomicInteger();

  /** Held by {@code test://slow} loads until a test releases it. */
  static volatile CountDownLatch slowGate = new CountDownLatch(0);

  private TestModels() {}

  static ModelUpdate announce(String version, long createdAt, String behaviour) {
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setBundleUri("test://" + behaviour)
        .setSha256("sha-" + version)
        .setCreatedAt(createdAt)
        .build();
  }

  /** Scores {@code user + movie / 1000 + offset}, where the offset is the version's number. */
  static ModelProvider provider() {
    return new ModelProvider() {
      private static final long serialVersionUID = 1L;

      @Override
      public ScoringModel openInitial(int maxBatchSize) {
        return new Arithmetic(announce("v0", 0, "ok"), maxBatchSize);
      }

      @Override
      public ScoringModel open(ModelUpdate a, int maxBatchSize) throws Exception {
        String behaviour = a.getBundleUri().substring("test://".length());
        if (behaviour.startsWith("reject/")) {
          throw new ModelRejectedException(behaviour.substring("reject/".length()));
        }
        if (behaviour.equals("slow") && !slowGate.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("slow load never released");
        }
        return new Arithmetic(a, maxBatchSize);
      }
    };
  }

  static final class Arithmetic implements ScoringModel {
    private final ModelUpdate a;
    private final int maxBatch;
    private final float offset;
    private boolean closed;

    Arithmetic(ModelUpdate a, int maxBatch) {
      this.a = a;
      this.maxBatch = maxBatch;
      this.offset = Float.parseFloat(a.getVersion().substring(1));
      OPEN.incrementAndGet();
    }

    @Override
    public String version() {
      return a.getVersion();
    }

    @Override
    public String bundleUri() {
      return a.getBundleUri();
    }

    @Override
    public String sha256() {
      return a.getSha256();
    }

    @Override
    public long createdAtMillis() {
      return a.getCreatedAt();
    }

    @Override
    public GateRows gateRows() {
      // "worse" models bring labels their own scores miss by 10 and the others hit exactly.
      if (a.getBundleUri().equals("test://worse")) {
        return new GateRows(new long[] {1}, new long[] {0}, new float[] {1});
      }
      return GateRows.none();
    }

    /** Users and movies with ids of 1000 or more are unknown to every test model. */
    @Override
    public boolean knowsUser(long userId) {
      return userId < 1000;
    }

    @Override
    public boolean knowsMovie(long movieId) {
      return movieId < 1000;
    }

    @Override
    public void score(long[] users, long[] movies, int n, float[] out) {
      if (closed) {
        throw new IllegalStateException("scored with a closed model " + version());
      }
      if (n < 1 || n > maxBatch) {
        throw new IllegalArgumentException("batch of " + n + ", max " + maxBatch);
      }
      for (int i = 0; i < n; i++) {
        out[i] =
            users[i] + movies[i] / 1000f + (a.getBundleUri().equals("test://worse") ? 10 : offset);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        OPEN.decrementAndGet();
      }
    }
  }
}
