package io.streamrank.model.onnx;

/**
 * A model (or model bundle) was rejected: its message says what was expected and what was found.
 */
public class ModelValidationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A rejection with a message naming what was expected and what was found. */
  public ModelValidationException(String message) {
    super(message);
  }

  /** A rejection caused by another failure. */
  public ModelValidationException(String message, Throwable cause) {
    super(message, cause);
  }
}
