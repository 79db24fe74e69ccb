package io.streamrank.model.registry;

import io.streamrank.model.onnx.ModelValidationException;

/**
 * A bundle was rejected; {@link #file()} names the offending file and the message says what was
 * wrong (expected versus found).
 */
public class BundleException extends ModelValidationException {
  private static final long serialVersionUID = 1L;
  private final String file;

  /** A rejection of {@code file} for {@code reason}. */
  public BundleException(String file, String reason) {
    super(file + ": " + reason);
    this.file = file;
  }

  /** A rejection of {@code file} for {@code reason} caused by another failure. */
  public BundleException(String file, String reason, Throwable cause) {
    super(file + ": " + reason, cause);
    this.file = file;
  }

  /** The rejected file (or bundle directory). */
  public String file() {
    return file;
  }
}
