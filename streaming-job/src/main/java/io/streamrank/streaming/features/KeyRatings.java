package io.streamrank.streaming.features;

import io.streamrank.model.features.RatingStats;
import io.streamrank.model.features.StreamingFeatures;
import java.util.Arrays;

/**
 * The whole feature state of one user or one movie, kept as one value so that a request costs one
 * state read and a binary search, and a rating one read and one write, however many ratings wait
 * for the watermark.
 *
 * <p>Ratings the watermark has passed are folded into {@link #folded}; the others wait in time
 * slots sorted by event time ({@link #pendingTimes}), one slot per distinct time. Each slot holds
 * the running total up to and including it ({@link #pendingTotals}: the folded statistics plus
 * every pending slot up to this one), so the statistics strictly before a time are one slot's total
 * and folding a prefix moves no sums.
 *
 * <p>Statistics are added with {@link StreamingFeatures#merge} (which knows the decay of a user's
 * residual sums). On the movie side each slot also records the users who rated at its time ({@link
 * #pendingRaters}), so a rating that arrives behind later ones can correct their residuals.
 *
 * <p>A Flink POJO (public fields) so the state has a Flink serializer; mutable, and only ever
 * changed by the one operator that owns it between a state read and a state write.
 */
public final class KeyRatings {
  /** No time: nothing folded, or no timer registered. */
  public static final long NONE = Long.MIN_VALUE;

  private static final long[] NO_RATERS = new long[0];

  /** The ratings the watermark has passed (and late ratings behind {@link #foldedUntil}). */
  public RatingStats folded = RatingStats.EMPTY;

  /** The latest event time folded by the watermark, {@link #NONE} before the first fold. */
  public long foldedUntil = NONE;

  /** Event times of the pending slots, ascending; the first {@link #pendingSize} are in use. */
  public long[] pendingTimes = new long[0];

  /** {@link #folded} plus the ratings of every pending slot up to and including this one. */
  public RatingStats[] pendingTotals = new RatingStats[0];

  /**
   * Per pending slot, the users who rated at its time (movie side only; empty arrays otherwise).
   */
  public long[][] pendingRaters = new long[0][];

  /** How many pending slots are in use. */
  public int pendingSize;

  /** Processing time of the key's last rating (the state's time to live counts from it). */
  public long lastRatingAt = NONE;

  /** The event-time timer registered to fold the earliest pending slot, or {@link #NONE}. */
  public long foldTimer = NONE;

  /** The processing-time timer registered to expire the key, or {@link #NONE}. */
  public long expiryTimer = NONE;

  /**
   * Whether a request at {@code t} is behind what is folded (it may hold ratings at or after t).
   */
  public boolean lateFor(long t) {
    return foldedUntil != NONE && foldedUntil >= t;
  }

  /** The statistics of every rating held with an event time strictly before {@code t}. */
  public RatingStats before(long t) {
    int i = firstAtOrAfter(t);
    return i == 0 ? folded : pendingTotals[i - 1];
  }

  /** The earliest pending time, or {@link #NONE} when no rating is pending. */
  public long earliestPending() {
    return pendingSize == 0 ? NONE : pendingTimes[0];
  }

  /**
   * Adds one rating at event time {@code t}: into the folded statistics when it is behind them
   * (every request still to come in time is later than it), else into its pending slot.
   *
   * @param rating the rating's statistics
   * @param rater the user who rated, recorded with its slot, or {@link #NONE} not to record one
   * @param definition merges statistics
   */
  public void add(long t, RatingStats rating, long rater, StreamingFeatures definition) {
    if (foldedUntil != NONE && t <= foldedUntil) {
      folded = definition.merge(folded, rating);
      addFrom(0, rating, definition);
      return;
    }
    int i = firstAtOrAfter(t);
    if (i < pendingSize && pendingTimes[i] == t) {
      addFrom(i, rating, definition);
      addRater(i, rater);
      return;
    }
    if (pendingSize == pendingTimes.length) {
      int capacity = Math.max(4, pendingSize * 2);
      pendingTimes = Arrays.copyOf(pendingTimes, capacity);
      pendingTotals = Arrays.copyOf(pendingTotals, capacity);
      pendingRaters = Arrays.copyOf(pendingRaters, capacity);
    }
    System.arraycopy(pendingTimes, i, pendingTimes, i + 1, pendingSize - i);
    System.arraycopy(pendingTotals, i, pendingTotals, i + 1, pendingSize - i);
    System.arraycopy(pendingRaters, i, pendingRaters, i + 1, pendingSize - i);
    pendingSize++;
    pendingTimes[i] = t;
    pendingTotals[i] = definition.merge(i == 0 ? folded : pendingTotals[i - 1], rating);
    pendingRaters[i] = NO_RATERS;
    addRater(i, rater);
    addFrom(i + 1, rating, definition);
  }

  /** Index of the first pending slot later than {@code t}; {@link #pendingSize} when none. */
  public int firstAfter(long t) {
    int i = firstAtOrAfter(t);
    return i < pendingSize && pendingTimes[i] == t ? i + 1 : i;
  }

  /** The statistics before pending slot {@code i}: the folded ones and every earlier slot. */
  public RatingStats beforeSlot(int i) {
    return i == 0 ? folded : pendingTotals[i - 1];
  }

  /** Folds every pending slot at or before {@code watermark} into the folded statistics. */
  public void foldThrough(long watermark) {
    int k = 0;
    int hi = pendingSize;
    while (k < hi) { // first slot later than the watermark
      int mid = (k + hi) >>> 1;
      if (pendingTimes[mid] <= watermark) {
        k = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (k == 0) {
      return;
    }
    folded = pendingTotals[k - 1];
    foldedUntil = Math.max(foldedUntil, pendingTimes[k - 1]);
    int rest = pendingSize - k;
    System.arraycopy(pendingTimes, k, pendingTimes, 0, rest);
    System.arraycopy(pendingTotals, k, pendingTotals, 0, rest);
    System.arraycopy(pendingRaters, k, pendingRaters, 0, rest);
    Arrays.fill(pendingTotals, rest, pendingSize, null);
    Arrays.fill(pendingRaters, rest, pendingSize, null);
    pendingSize = rest;
    if (pendingSize == 0 && pendingTimes.length > 64) {
      // A burst is over: give the large buffer back.
      pendingTimes = new long[0];
      pendingTotals = new RatingStats[0];
      pendingRaters = new long[0][];
    }
  }

  /** Index of the first pending slot at or after {@code t}; {@link #pendingSize} when none. */
  private int firstAtOrAfter(long t) {
    if (pendingSize == 0 || pendingTimes[pendingSize - 1] < t) {
      return pendingSize; // the common case: t is after every pending rating
    }
    int lo = 0;
    int hi = pendingSize - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (pendingTimes[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private void addFrom(int from, RatingStats rating, StreamingFeatures definition) {
    for (int j = from; j < pendingSize; j++) {
      pendingTotals[j] = definition.merge(pendingTotals[j], rating);
    }
  }

  private void addRater(int slot, long rater) {
    if (rater != NONE) {
      long[] r = pendingRaters[slot];
      r = Arrays.copyOf(r, r.length + 1);
      r[r.length - 1] = rater;
      pendingRaters[slot] = r;
    }
  }
}
