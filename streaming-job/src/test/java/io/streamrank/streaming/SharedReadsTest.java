package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SharedReadsTest {
  @Test
  void callersAtTheSameTimeShareOneReadAndALaterCallerReadsAgain() throws Exception {
    SharedReads<String, Object> reads = new SharedReads<>();
    AtomicInteger count = new AtomicInteger();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    SharedReads.Read<Object> slow =
        () -> {
          count.incrementAndGet();
          started.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          return new Object();
        };
    CompletableFuture<Object> first = new CompletableFuture<>();
    CompletableFuture<Object> second = new CompletableFuture<>();
    new Thread(() -> first.complete(get(reads, slow))).start();
    started.await();
    // The first read is running: a second caller waits for it instead of reading.
    Thread waiter = new Thread(() -> second.complete(get(reads, slow)));
    waiter.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    release.countDown();
    assertThat(second.get()).isSameAs(first.get());
    assertThat(count).hasValue(1);
    assertThat(reads.get("b", slow)).isNotSameAs(first.get());
    assertThat(count).hasValue(2);
  }

  @Test
  void aFailedReadFailsItsCallersWithItsOwnExceptionAndIsNotKept() throws Exception {
    SharedReads<String, String> reads = new SharedReads<>();
    assertThatThrownBy(
            () ->
                reads.get(
                    "k",
                    () -> {
                      throw new IOException("no such bundle");
                    }))
        .isInstanceOf(IOException.class)
        .hasMessage("no such bundle");
    assertThat(reads.get("k", () -> "read again")).isEqualTo("read again");
  }

  private static <V> V get(SharedReads<String, V> reads, SharedReads.Read<V> read) {
    try {
      return reads.get("a", read);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
