package io.streamrank.local;

import java.time.Duration;
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

  /** Wake-ups per second between two threads taking turns for {@code length}. */
  static double threadHandoffsPerSecond(Duration length) throws InterruptedException {
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
    long rounds = 0;
    long start = System.nanoTime();
    long end = start + length.toNanos();
    while (System.nanoTime() < end) {
      turns.turn = 1;
      LockSupport.unpark(pong);
      while (turns.turn != 0) {
        LockSupport.park(turns);
      }
      rounds++;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    turns.done = true;
    LockSupport.unpark(pong);
    pong.join();
    return 2 * rounds / seconds;
  }

  /** Whose turn it is (1: the pong thread's, 0: the caller's), and whether to stop. */
  private static final class Turns {
    volatile int turn;
    volatile boolean done;
  }
}
