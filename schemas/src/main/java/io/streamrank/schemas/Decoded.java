package io.streamrank.schemas;

import java.util.Objects;

/**
 * The outcome of decoding bytes: a value, or the reason there is none. Decoding never throws, so a
 * bad record can be routed to dead letters instead of failing (and restart-looping) the job.
 *
 * @param <T> the record type
 */
public final class Decoded<T> {
  private final T value;
  private final String failure;

  private Decoded(T value, String failure) {
    this.value = value;
    this.failure = failure;
  }

  /** A successfully decoded value. */
  public static <T> Decoded<T> ok(T value) {
    return new Decoded<>(Objects.requireNonNull(value, "value"), null);
  }

  /** A failure with a reason a person can act on. */
  public static <T> Decoded<T> failed(String reason) {
    return new Decoded<>(null, Objects.requireNonNull(reason, "reason"));
  }

  public boolean isOk() {
    return failure == null;
  }

  /** The value; fails loudly when called on a failure. */
  public T value() {
    if (failure != null) {
      throw new IllegalStateException("no value, decoding failed: " + failure);
    }
    return value;
  }

  /** Why decoding failed; fails loudly when called on a success. */
  public String failure() {
    if (failure == null) {
      throw new IllegalStateException("decoding succeeded, there is no failure");
    }
    return failure;
  }

  @Override
  public String toString() {
    return isOk() ? "Decoded.ok(" + value + ")" : "Decoded.failed(" + failure + ")";
  }
}
