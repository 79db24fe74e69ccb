package io.streamrank.local;

import io.streamrank.streaming.GateRows;
import io.streamrank.streaming.ScoringModel;

/**
 * A benchmark's model outside the registry: no bundle, no checksum, no golden rows, and every id
 * known (so no row is scored as out of vocabulary). Subclasses score and close.
 */
abstract class BenchModel implements ScoringModel {
  private final String version;

  BenchModel(String version) {
    this.version = version;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public String bundleUri() {
    return "bench:" + version;
  }

  @Override
  public String sha256() {
    return version;
  }

  @Override
  public long createdAtMillis() {
    return 0;
  }

  @Override
  public GateRows gateRows() {
    return GateRows.none();
  }

  @Override
  public boolean knowsUser(long userId) {
    return true;
  }

  @Override
  public boolean knowsMovie(long movieId) {
    return true;
  }
}
