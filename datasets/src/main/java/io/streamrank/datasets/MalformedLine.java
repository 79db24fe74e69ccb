package io.streamrank.datasets;

/**
 * A line a reader could not parse, kept so the caller can report it instead of failing.
 *
 * @param file the file it came from
 * @param lineNumber 1-based line number
 * @param reason what was wrong with it
 */
public record MalformedLine(String file, long lineNumber, String reason) {
  @Override
  public String toString() {
    return file + ":" + lineNumber + ": " + reason;
  }
}
