package io.streamrank.streaming;

/** A model version that failed a check before it could serve; the message says which and why. */
public final class ModelRejectedException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelRejectedException(String message) {
    super(message);
  }

  public ModelRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
