package io.streamrank.streaming.monitor;

import java.io.Serializable;

/**
 * Which predictions one subtask of the prequential join holds for their ratings, so that what it
 * holds stays near its capacity whatever the rate. {@link LabelRequests} keeps one per subtask,
 * before the join's shuffle.
 *
 * <p>A prediction waits up to the label timeout, so a subtask seeing {@code r} predictions per
 * millisecond of event time holds about {@code r × timeout} of them. Over blocks of at least {@link
 * #BLOCK} predictions and one second of event time (so that timestamps rounded to the second or the
 * minute are not read as a burst), the sample measures {@code r} and sets the fraction it holds to
 * {@code min(1, capacity / (r × timeout))}. Whether an event is in the sample depends only on its
 * id and the fraction, so its prediction and its rating (which the key brings to the same subtask)
 * get the same answer while the fraction holds, and a replay after a restore decides as the first
 * run did once the fraction is measured again. The fraction is not checkpointed: a restored subtask
 * holds everything for its first block.
 *
 * <p>At the rates of a replay or a demo the fraction stays 1: everything is held, as without the
 * sample. At tens of thousands of predictions a second and the default one-hour timeout, holding
 * everything is tens of millions of entries (about 400 bytes of heap each, all written by every
 * checkpoint); the sample keeps the error monitor's input uniform over time and models, and its
 * size fixed.
 */
final class LabelSample implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Fewest predictions per rate measurement. */
  static final int BLOCK = 4096;

  /** Shortest event-time span of a rate measurement, ms. */
  static final long MIN_SPAN_MS = 1000;

  /** Most predictions per rate measurement, whatever their span. */
  static final int MAX_BLOCK = 1 << 20;

  private static final double UNIT = 0x1p-53;

  private final double capacity;
  private final long timeoutMs;
  private double fraction = 1.0;
  private int seen;
  private long minTime = Long.MAX_VALUE;
  private long maxTime = Long.MIN_VALUE;

  /**
   * @param capacity predictions this subtask may hold, about (more than 0)
   * @param timeoutMs event time a prediction waits for its rating
   */
  LabelSample(double capacity, long timeoutMs) {
    if (!(capacity > 0)) {
      throw new IllegalArgumentException("label capacity must be > 0, got " + capacity);
    }
    this.capacity = capacity;
    this.timeoutMs = timeoutMs;
  }

  /** Counts a prediction's event time toward the rate; whether to hold it for its rating. */
  boolean holdPrediction(String eventId, long eventTime) {
    minTime = Math.min(minTime, eventTime);
    maxTime = Math.max(maxTime, eventTime);
    seen++;
    long span = maxTime - minTime;
    if ((seen >= BLOCK && span >= MIN_SPAN_MS) || seen >= MAX_BLOCK) {
      double perMs = seen / (double) Math.max(1, span);
      fraction = Math.min(1.0, capacity / (perMs * timeoutMs));
      seen = 0;
      minTime = Long.MAX_VALUE;
      maxTime = Long.MIN_VALUE;
    }
    return contains(eventId);
  }

  /** Whether the event is in the sample at the current fraction. */
  boolean contains(String eventId) {
    return contains(eventId, fraction);
  }

  /** Whether the event is in a sample of the given fraction. */
  static boolean contains(String eventId, double fraction) {
    return fraction >= 1.0 || unit(eventId) < fraction;
  }

  /** The fraction of predictions held now. */
  double fraction() {
    return fraction;
  }

  /**
   * The id's place in [0, 1): its hash, mixed (murmur3's finalizer over 64 bits), so that ids that
   * differ in a digit land far apart and the place is independent of the key's group.
   */
  static double unit(String eventId) {
    long h = eventId.hashCode() * 0x9E3779B97F4A7C15L;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (h >>> 11) * UNIT;
  }
}
