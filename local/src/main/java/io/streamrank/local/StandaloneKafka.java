package io.streamrank.local;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka broker in a JVM of its own, for {@link ProcessCluster}: runs an {@link EmbeddedKafka}
 * until the process is stopped, and prints one line {@code bootstrap-servers=HOST:PORT} on stdout
 * once the broker accepts clients. A normal stop (SIGTERM) closes the broker and removes its data;
 * after SIGKILL the data stays in the JVM's {@code java.io.tmpdir}.
 *
 * <p>Usage: {@code StandaloneKafka [--host 127.0.0.1] [--port 0]} (0 picks a free port).
 */
public final class StandaloneKafka {
  private static final Logger LOG = LoggerFactory.getLogger(StandaloneKafka.class);

  /** Prefix of the line that announces the broker's address. */
  public static final String READY_PREFIX = "bootstrap-servers=";

  private StandaloneKafka() {}

  public static void main(String[] args) throws Exception {
    String host = EmbeddedKafka.DEFAULT_HOST;
    int port = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--host" -> host = value(args, ++i, "--host");
        case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
        default ->
            throw new IllegalArgumentException(
                "unknown argument '" + args[i] + "', expected --host or --port");
      }
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(host, port);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    kafka.close();
                  } catch (Exception e) {
                    LOG.warn("Closing the broker failed", e);
                  }
                },
                "kafka-shutdown"));
    PrintStream out = System.out;
    out.println(READY_PREFIX + kafka.bootstrapServers());
    out.flush();
    // Runs until the process is stopped; the shutdown hook closes the broker.
    new CountDownLatch(1).await();
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }
}
