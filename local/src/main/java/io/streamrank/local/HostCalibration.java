package io.streamrank.local;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * A figure of the machine printed with the bench's conditions, so runs on different machines can be
 * told apart. Raw ONNX Runtime rows/s measures the cores' arithmetic; it moved 5-15% between the
 * machines of sessions 18 and 21 while the pipeline's CPU per event moved 40%. The pipeline hands
 * records between threads (Flink's tasks, Kafka's network and request threads, the clients) tens of
 * thousands of times a second, so this measures that: how many times a second one thread can wake
 * another and be woken back, each wake-up a park and unpark (a futex on Linux).
 */
final class HostCalibration {
  private HostCalibration() {}

  /**
   * Wake-ups per second between two threads taking turns: the median over {@code windows} windows
   * of {@code window} each, with one partner thread for all of them. A single window of a second,
   * each with a new partner, swung between 33,000 and 99,000 from second to second on one idle
   * machine (a wake-up finds the other thread still running, or asleep); the median of 20 windows
   * of 100 ms gave 28,000-32,000 in 15 of 16 JVM starts there (45,000 once; docs/benchmarks.md,
   * session 22).
   */
  static double threadHandoffsPerSecond(Duration window, int windows) throws InterruptedException {
    if (windows < 1) {
      throw new IllegalArgumentException("windows must be >= 1, got " + windows);
    }
    Turns turns = new Turns();
    Thread ping = Thread.currentThread();
    Thread pong =
        new Thread(
            () -> {
              while (!turns.done) {
                if (turns.turn == 1) {
                  turns.turn = 0;
                  LockSupport.unpark(ping);
                } else {
                  LockSupport.park(turns);
                }
              }
            },
            "host-calibration-pong");
    pong.setDaemon(true);
    pong.start();
    double[] rates = new double[windows];
    try {
      for (int w = 0; w < windows; w++) {
        long rounds = 0;
        long start = System.nanoTime();
        long end = start + window.toNanos();
        while (System.nanoTime() < end) {
          turns.turn = 1;
          LockSupport.unpark(pong);
          while (turns.turn != 0) {
            LockSupport.park(turns);
          }
          rounds++;
        }
        rates[w] = 2 * rounds / ((System.nanoTime() - start) / 1e9);
      }
    } finally {
      turns.done = true;
      LockSupport.unpark(pong);
      pong.join();
    }
    Arrays.sort(rates);
    return windows % 2 == 1
        ? rates[windows / 2]
        : (rates[windows / 2 - 1] + rates[windows / 2]) / 2;
  }

  /** Whose turn it is (1: the pong thread's, 0: the caller's), and whether to stop. */
  private static final class Turns {
    volatile int turn;
    volatile boolean done;
  }
}
