package io.streamrank.retrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tuner's end of a tuning session: hands units of trials to the worker tasks of one long-lived
 * Flink job ({@link TrialWorker}) as they ask for work, and completes each unit's future with their
 * results. One TCP connection per worker, one JSON line per message: the server sends a {@link
 * TrialUnit} (or {@link #DONE} once the session ends), the worker answers with a {@link
 * TrialUnit.Reply}. A worker takes the next unit as soon as it answered the last, so successive
 * trials and rungs cost no job submission.
 */
final class TrialServer implements AutoCloseable {
  /** The line that tells a worker the session is over. */
  static final String DONE = "DONE";

  private static final ObjectMapper JSON = new ObjectMapper();

  private record Pending(TrialUnit unit, CompletableFuture<List<TrialResult>> result) {}

  private final ServerSocket socket;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Map<Long, Pending> inFlight = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Thread acceptor;
  private final Object workersLock = new Object();
  private int workers;
  private volatile boolean closed;
  private volatile Exception failure;

  /** Listens on an ephemeral port of {@code bind}. */
  TrialServer(InetAddress bind) throws IOException {
    socket = new ServerSocket(0, 50, bind);
    acceptor = new Thread(this::accept, "trial-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Where workers connect. */
  InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  /**
   * Waits until {@code n} workers have connected.
   *
   * @throws IllegalStateException when the session failed or ended first, or on the timeout
   */
  void awaitWorkers(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (workersLock) {
      while (workers < n) {
        if (failure != null) {
          throw new IllegalStateException(
              "the tuning session failed while its workers started: " + failure, failure);
        }
        if (closed) {
          throw new IllegalStateException("the tuning session ended while its workers started");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              workers
                  + " of "
                  + n
                  + " trial workers reached the tuner at "
                  + address()
                  + " within "
                  + timeout.toSeconds()
                  + " s (are the cluster's task slots free?)");
        }
        workersLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }

  /** Whether the session ended or failed: no more work is handed out. */
  boolean closed() {
    return closed;
  }

  /** Queues trials for the next free worker; the future completes with their results in order. */
  CompletableFuture<List<TrialResult>> submit(
      DataSpec data, Map<String, Object> base, int threads, List<TrialSpec> trials) {
    CompletableFuture<List<TrialResult>> result = new CompletableFuture<>();
    Pending p =
        new Pending(new TrialUnit(ids.incrementAndGet(), data, base, threads, trials), result);
    queue.add(p);
    // A unit queued just as the session failed or ended would wait forever: fail it here.
    if (failure != null || closed) {
      failQueued();
    }
    return result;
  }

  /**
   * Fails every unit queued or running, and every later one, with {@code cause}: the session's job
   * ended.
   */
  void fail(Exception cause) {
    if (failure == null) {
      failure = cause;
    }
    close();
    for (Pending p : inFlight.values()) {
      p.result.completeExceptionally(failure);
    }
    failQueued();
  }

  /** Stops accepting work: every worker gets {@link #DONE} once it asks for more. */
  @Override
  public void close() {
    closed = true;
    synchronized (workersLock) {
      workersLock.notifyAll();
    }
    try {
      socket.close();
    } catch (IOException e) {
      // Nothing listens any more either way; the workers still get DONE on their connections.
    }
    failQueued();
  }

  private void failQueued() {
    Pending p;
    while ((p = queue.poll()) != null) {
      p.result.completeExceptionally(
          failure != null
              ? failure
              : new IllegalStateException(
                  "the tuning session ended before trials " + ids(p.unit) + " ran"));
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket s = socket.accept();
        Thread t = new Thread(() -> serve(s), "trial-server-" + s.getPort());
        t.setDaemon(true);
        t.start();
      } catch (SocketException e) {
        return; // closed
      } catch (IOException e) {
        fail(e);
        return;
      }
    }
  }

  /** One worker: hand it a unit, wait for its reply, repeat until the session ends. */
  private void serve(Socket s) {
    synchronized (workersLock) {
      workers++;
      workersLock.notifyAll();
    }
    try (s;
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.UTF_8)) {
      while (true) {
        Pending p = queue.poll(100, TimeUnit.MILLISECONDS);
        if (p == null) {
          if (closed) {
            out.write(DONE + "\n");
            out.flush();
            return;
          }
          continue;
        }
        inFlight.put(p.unit.id(), p);
        try {
          if (!exchange(p, in, out)) {
            return;
          }
        } catch (IOException e) {
          p.result.completeExceptionally(
              new IllegalStateException(
                  "lost the trial worker running trials " + ids(p.unit) + ": " + e, e));
          return;
        } finally {
          inFlight.remove(p.unit.id());
        }
      }
    } catch (IOException e) {
      if (!closed) {
        fail(new IllegalStateException("lost a trial worker's connection: " + e, e));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Sends a unit and completes its future with the worker's reply; false when the worker closed its
   * connection instead of replying.
   */
  private static boolean exchange(Pending p, BufferedReader in, Writer out) throws IOException {
    out.write(JSON.writeValueAsString(p.unit) + "\n");
    out.flush();
    String line = in.readLine();
    if (line == null) {
      p.result.completeExceptionally(
          new IllegalStateException(
              "a trial worker closed its connection while running trials " + ids(p.unit)));
      return false;
    }
    TrialUnit.Reply reply = JSON.readValue(line, TrialUnit.Reply.class);
    if (reply.error() != null) {
      p.result.completeExceptionally(
          new IllegalStateException(
              "trials " + ids(p.unit) + " failed on a worker: " + reply.error()));
    } else {
      p.result.complete(reply.results());
    }
    return true;
  }

  private static List<String> ids(TrialUnit u) {
    return u.trials().stream().map(TrialSpec::id).toList();
  }
}
