package io.streamrank.streaming;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One read per key for the callers that ask at the same time: the first runs it, the others wait
 * for its value or its exception. Nothing is kept once the read ends.
 */
final class SharedReads<K, V> {
  /** A read that may fail with an {@link IOException}. */
  @FunctionalInterface
  interface Read<V> {
    V read() throws IOException;
  }

  private final ConcurrentHashMap<K, CompletableFuture<V>> running = new ConcurrentHashMap<>();

  V get(K key, Read<V> read) throws IOException {
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> first = running.putIfAbsent(key, mine);
    if (first == null) {
      try {
        mine.complete(read.read());
      } catch (Throwable e) { // every waiter must hear how it ended, errors included
        mine.completeExceptionally(e);
      } finally {
        running.remove(key, mine);
      }
      first = mine;
    }
    try {
      return first.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }
}
