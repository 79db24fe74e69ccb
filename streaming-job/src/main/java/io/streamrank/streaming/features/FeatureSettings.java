package io.streamrank.streaming.features;

import io.streamrank.model.features.FoldInTable;
import io.streamrank.model.features.StreamingFeatures;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * How the scoring job keeps its streaming features.
 *
 * @param definition the features (the same {@link StreamingFeatures} the trainer uses)
 * @param stateTtl a user's or movie's statistics are dropped when no rating of it has arrived for
 *     this long (processing time): the bound on the feature state
 * @param maxOutOfOrderness how far behind the newest event an event may arrive; ratings are folded
 *     into a key's statistics once the events' watermark has passed them
 * @param idleTimeout an idle partition stops holding the features' watermark back
 * @param foldIn the movie vectors of the fold-in correction added to every score ({@link
 *     StreamingFeatures#foldInCorrection}), or null for none
 */
public record FeatureSettings(
    StreamingFeatures definition,
    Duration stateTtl,
    Duration maxOutOfOrderness,
    Duration idleTimeout,
    FoldInTable foldIn)
    implements Serializable {
  /** Settings without a fold-in correction. */
  public FeatureSettings(
      StreamingFeatures definition,
      Duration stateTtl,
      Duration maxOutOfOrderness,
      Duration idleTimeout) {
    this(definition, stateTtl, maxOutOfOrderness, idleTimeout, null);
  }

  /** Checks the settings. */
  public FeatureSettings {
    Objects.requireNonNull(definition, "definition");
    if (stateTtl == null || stateTtl.isNegative() || stateTtl.isZero()) {
      throw new IllegalArgumentException("feature state TTL must be > 0, got " + stateTtl);
    }
    if (maxOutOfOrderness == null || maxOutOfOrderness.isNegative()) {
      throw new IllegalArgumentException(
          "feature max out-of-orderness must be >= 0, got " + maxOutOfOrderness);
    }
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("feature idle timeout must be > 0, got " + idleTimeout);
    }
  }
}
