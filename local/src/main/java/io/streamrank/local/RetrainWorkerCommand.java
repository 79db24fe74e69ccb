package io.streamrank.local;

import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.FlinkTrialExecutor;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.retrain.RetrainService;
import io.streamrank.retrain.RetrainWorker;
import io.streamrank.schemas.Topics;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./streamrank retrain-worker}: the retrain job as a service of its own. It consumes {@code
 * retrain-requests} until it is stopped and handles each request with a {@link RetrainService}
 * (tune, train, gate, publish to the registry, announce on {@code model-updates}). The process
 * cluster starts it beside the scoring job ({@link ProcessCluster#startRetrainWorker}), and the
 * docker-compose file runs it as the {@code retrain} service.
 */
@Command(
    name = "retrain-worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the retrain job as a service: consumes retrain-requests, and for each one tunes on the"
          + " request's data window (trials as a Flink job in a MiniCluster in this process, or on"
          + " --flink-rest),"
          + " gates the best candidate against the serving version, publishes it to the registry"
          + " and announces it on model-updates.",
      "Runs until stopped (SIGTERM finishes the request in hand first)."
    })
final class RetrainWorkerCommand implements Callable<Integer> {
  /** The line printed once the worker is consuming, followed by what it consumes. */
  static final String READY_PREFIX = "retrain-worker ready: ";

  @CommandLine.Mixin StreamrankCli.DataOptions data = new StreamrankCli.DataOptions();

  @CommandLine.Mixin SearchOptions search = new SearchOptions();

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "127.0.0.1:9092",
      description = "Kafka brokers (default: ${DEFAULT-VALUE}).")
  String bootstrapServers;

  @Option(
      names = "--kafka-properties",
      paramLabel = "FILE",
      description =
          "Kafka client properties file (security.protocol, sasl.mechanism, sasl.jaas.config,"
              + " ...) for the request consumer and the announcer.")
  Path kafkaProperties;

  @Option(
      names = "--registry",
      required = true,
      paramLabel = "REGISTRY",
      description = "Model registry: a directory or a file://, s3://, hdfs:// URI.")
  String registry;

  @Option(
      names = "--topic-prefix",
      defaultValue = "",
      description = "Prefix of every topic name (default: none).")
  String topicPrefix;

  @Option(
      names = "--budget",
      defaultValue = "6",
      description = "Configurations tuned per request (default: ${DEFAULT-VALUE}).")
  int budget;

  @Option(
      names = "--margin",
      defaultValue = "0.0",
      description =
          "How much lower the candidate's test RMSE must be than the serving version's to be"
              + " promoted (default: ${DEFAULT-VALUE}).")
  double margin;

  @Override
  public Integer call() throws Exception {
    StreamrankCli.require(budget > 0, "--budget must be > 0, got " + budget);
    search.validate();
    StreamrankCli.require(margin >= 0, "--margin must be >= 0, got " + margin);
    PrintStream out = System.out;
    Properties kafka = KafkaClientFile.load(kafkaProperties, bootstrapServers);
    Topics topics = Topics.withPrefix(topicPrefix);
    String registryUri = registryUri(registry);
    DataSpec spec =
        data.data != null
            ? DataSpec.movieLens(data.data, "time")
            : DataSpec.synthetic(data.synthetic(), "time");
    // Its own in-process cluster: each request's search runs as one tuning session (one job).
    FlinkTrialExecutor executor = search.executor();
    RetrainService service =
        new RetrainService(
            settings(spec),
            executor,
            new ModelRegistry(registryUri),
            new ModelAnnouncer(kafka, topics),
            out::println);
    RetrainWorker worker = new RetrainWorker(service, kafka, topics, out::println);
    Thread loop = new Thread(worker, "streamrank-retrain");
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  worker.close();
                  try {
                    loop.join(30_000);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "streamrank-retrain-shutdown"));
    loop.start();
    out.println(
        READY_PREFIX
            + topics.retrainRequests().name()
            + " on "
            + kafka.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)
            + ", registry "
            + registryUri);
    out.flush();
    loop.join();
    executor.close();
    return 0;
  }

  /** What each request runs: the data source, the budget, the search options and the margin. */
  RetrainService.Settings settings(DataSpec spec) {
    return new RetrainService.Settings(
        spec, budget, search.algo, search.pruner, margin, search.baseConfig());
  }

  /** A URI as given, or a local directory as a file:// URI. */
  static String registryUri(String registry) {
    if (registry.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return URI.create(registry).toString();
    }
    return Path.of(registry).toAbsolutePath().toUri().toString();
  }
}
