package io.streamrank.local;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces an open-loop sender to a fixed rate: send {@code i} is due {@code i / rate} seconds after
 * the start, and {@link #awaitDue} returns once it is due, never before.
 *
 * <p>A send that is not yet due sleeps at least {@link #MIN_SLEEP_NANOS}, and the sends that fall
 * due meanwhile then go out back to back. Sleeping once per event gap instead (20 us at 50,000
 * events/s) woke the sender a few times per millisecond; the bench's producer was then the busiest
 * thread on the machine it measures (18% of a core at 50,000 events/s), and the whole bench took 23
 * us of CPU per event against 18-19 us with this pacing (docs/benchmarks.md, session 22). A send
 * goes out at most about a millisecond after it was due; the bench counts latency from the due
 * time, so that wait is part of what it reports.
 */
final class Pacer {
  /** The shortest sleep: the granularity of the sender's bursts. */
  static final long MIN_SLEEP_NANOS = 1_000_000;

  private final long start;
  private final double nanosPerSend;
  private long sleeps;

  /**
   * Starts the schedule now.
   *
   * @param perSecond sends per second; must be positive
   * @throws IllegalArgumentException if {@code perSecond} is not positive
   */
  Pacer(double perSecond) {
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("rate must be > 0 sends/s, got " + perSecond);
    }
    this.start = System.nanoTime();
    this.nanosPerSend = 1e9 / perSecond;
  }

  /**
   * Returns once send {@code i} is due: at once if it already is, else after a sleep of at least
   * {@link #MIN_SLEEP_NANOS}.
   *
   * @return when send {@code i} was due, in nanoseconds from the start of the schedule (the bench
   *     stamps its events with it)
   */
  long awaitDue(long i) {
    long offset = (long) (i * nanosPerSend);
    long wait = start + offset - System.nanoTime();
    while (wait > 0) {
      sleeps++;
      LockSupport.parkNanos(Math.max(wait, MIN_SLEEP_NANOS));
      wait = start + offset - System.nanoTime();
    }
    return offset;
  }

  /** How many times {@link #awaitDue} has slept. */
  long sleeps() {
    return sleeps;
  }
}
