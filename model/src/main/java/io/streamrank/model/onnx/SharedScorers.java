package io.streamrank.model.onnx;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A JVM-wide, reference-counted cache of {@link OnnxScorer}s keyed by the model's sha256 and the
 * scorer options, so the operator instances (slots) of one TaskManager share one ONNX Runtime
 * session per model version. This is the module's one piece of mutable static state, on purpose:
 * its scope is the JVM, like ONNX Runtime's environment.
 *
 * <p>{@link #acquire} loads the model only for the first user; {@link Handle#close()} releases the
 * reference and the last release closes the session.
 */
public final class SharedScorers {
  // Guarded by itself. Sessions are created under the lock: acquisition is off the hot path.
  private static final Map<Key, Entry> ENTRIES = new HashMap<>();

  private SharedScorers() {}

  private record Key(String sha256, ScorerOptions options) {}

  private static final class Entry {
    final OnnxScorer scorer;
    int refs;

    Entry(OnnxScorer scorer) {
      this.scorer = scorer;
    }
  }

  /**
   * A reference to the shared scorer of a model, opening it if no one holds it.
   *
   * @param sha256 hex sha256 of the model bytes
   * @param model supplies the model bytes when a session has to be created; they must hash to
   *     {@code sha256}
   * @throws ModelValidationException when the bytes do not match the hash or the model is invalid
   */
  public static Handle acquire(String sha256, Supplier<byte[]> model, ScorerOptions options) {
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(options, "options");
    Key key = new Key(sha256.toLowerCase(java.util.Locale.ROOT), options);
    synchronized (ENTRIES) {
      Entry e = ENTRIES.get(key);
      if (e == null) {
        byte[] bytes = model.get();
        String actual = sha256(bytes);
        if (!actual.equals(key.sha256())) {
          throw new ModelValidationException(
              "model bytes hash to sha256 " + actual + ", expected " + key.sha256());
        }
        e = new Entry(OnnxScorer.open(bytes, options));
        ENTRIES.put(key, e);
      }
      e.refs++;
      return new Handle(key, e.scorer);
    }
  }

  /** Number of distinct sessions currently open through this cache. */
  public static int openSessions() {
    synchronized (ENTRIES) {
      return ENTRIES.size();
    }
  }

  private static void release(Key key) {
    OnnxScorer toClose = null;
    synchronized (ENTRIES) {
      Entry e = ENTRIES.get(key);
      if (e != null && --e.refs == 0) {
        ENTRIES.remove(key);
        toClose = e.scorer;
      }
    }
    if (toClose != null) {
      // Outside the lock: close() waits for calls still running on the session.
      toClose.close();
    }
  }

  /** Lower-case hex sha256 of the bytes. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  /** One reference to a shared scorer; close it exactly when done (further closes are no-ops). */
  public static final class Handle implements AutoCloseable {
    private final Key key;
    private final OnnxScorer scorer;
    private boolean released;

    private Handle(Key key, OnnxScorer scorer) {
      this.key = key;
      this.scorer = scorer;
    }

    /**
     * The shared scorer.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized OnnxScorer scorer() {
      if (released) {
        throw new IllegalStateException("handle for model " + key.sha256() + " is released");
      }
      return scorer;
    }

    /** The model's sha256. */
    public String sha256() {
      return key.sha256();
    }

    @Override
    public void close() {
      synchronized (this) {
        if (released) {
          return;
        }
        released = true;
      }
      release(key);
    }
  }
}
