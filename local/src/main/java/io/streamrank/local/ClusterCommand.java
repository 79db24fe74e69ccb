package io.streamrank.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamrank.datasets.RatingData;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ScoringOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./streamrank cluster up|down|status}: a multi-process Flink cluster and Kafka broker on
 * this machine ({@link ProcessCluster}), for people without Docker, with the scoring job deployed
 * on it the way it is deployed on a real cluster and the retrain worker attached.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = {
      "A Flink standalone cluster (JobManager, TaskManagers) and a Kafka broker on this machine,"
          + " each in its own JVM, every endpoint on 127.0.0.1, with the scoring job deployed"
          + " through Flink's REST API.",
      "Run a subcommand with --help for its options."
    },
    subcommands = {ClusterCommand.Up.class, ClusterCommand.Down.class, ClusterCommand.Status.class})
final class ClusterCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(System.out);
    return 2;
  }

  /** Where the cluster keeps its configuration, logs, checkpoints and pids. */
  static final class Where {
    @Option(
        names = "--dir",
        paramLabel = "DIR",
        defaultValue = "runs/cluster",
        description =
            "Work directory: conf/, log/, checkpoints, registry, pids (default: ${DEFAULT-VALUE}).")
    Path dir;
  }

  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description = {
        "Starts a Kafka broker, a Flink JobManager and TaskManagers as separate JVMs from the"
            + " Flink distribution in flink-dist/target/flink/lib (ONNX Runtime in lib/, loaded"
            + " parent-first), creates the topics, and deploys the scoring job (job jar uploaded"
            + " through Flink's REST API) serving the registry's latest version; with no"
            + " --registry, an initial model is trained and published first, as the demo does."
            + " Then a retrain worker (streamrank retrain-worker) joins as one more JVM: it"
            + " consumes retrain-requests and publishes to the same registry and broker.",
        "The processes keep running after this command returns; stop them with cluster down."
      })
  static final class Up implements Callable<Integer> {
    @CommandLine.Mixin Where where = new Where();
    @CommandLine.Mixin StreamrankCli.DataOptions data = new StreamrankCli.DataOptions();

    @Option(
        names = "--task-managers",
        defaultValue = "2",
        description = "TaskManager JVMs (default: ${DEFAULT-VALUE}).")
    int taskManagers;

    @Option(
        names = "--slots",
        defaultValue = "1",
        description = "Task slots per TaskManager (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(
        names = "--rest-port",
        defaultValue = "8081",
        description =
            "JobManager REST and web UI port; the next free one up to 18 above when taken, 0 any"
                + " free one (default: ${DEFAULT-VALUE}).")
    int restPort;

    @Option(
        names = "--kafka-port",
        defaultValue = "9092",
        description = "Kafka broker port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
        names = "--partitions",
        defaultValue = "2",
        description = "Partitions of events, ratings and the outputs (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
        names = "--registry",
        paramLabel = "REGISTRY",
        description =
            "Model registry to serve from (e.g. the output of train); default: DIR/registry with"
                + " an initial model trained on the first 60%% of the data.")
    Path registry;

    @Option(
        names = "--flink-lib",
        defaultValue = "flink-dist/target/flink/lib",
        description = "Flink's lib/ directory (default: ${DEFAULT-VALUE}).")
    Path flinkLib;

    @Option(
        names = "--job-jar",
        paramLabel = "JAR",
        description = "The job jar (default: streaming-job/target/*-job.jar).")
    Path jobJar;

    @Option(names = "--no-job", description = "Start the processes only; deploy nothing.")
    boolean noJob;

    @Option(
        names = "--retrain-budget",
        defaultValue = "6",
        description =
            "Configurations the attached retrain worker tunes per request; 0 starts no retrain"
                + " worker (default: ${DEFAULT-VALUE}).")
    int retrainBudget;

    @Override
    public Integer call() throws Exception {
      StreamrankCli.require(taskManagers > 0, "--task-managers must be > 0");
      StreamrankCli.require(slots > 0, "--slots must be > 0");
      StreamrankCli.require(partitions > 0, "--partitions must be > 0");
      StreamrankCli.require(retrainBudget >= 0, "--retrain-budget must be >= 0");
      StreamrankCli.requireWritableDir("--dir", where.dir);
      Path jar = noJob ? null : jobJar != null ? jobJar : defaultJobJar();
      StreamrankCli.require(
          jar == null || Files.isRegularFile(jar),
          "no job jar at " + jar + " (build it: ./mvnw -q -pl local -am package -DskipTests)");
      Optional<ProcessCluster> earlier = ProcessCluster.attach(where.dir);
      StreamrankCli.require(
          earlier.isEmpty()
              || earlier.get().members().stream().noneMatch(ProcessCluster.Member::alive),
          "a cluster recorded in "
              + where.dir
              + " is still running: ./streamrank cluster down --dir "
              + where.dir);
      PrintStream out = System.out;
      ProcessCluster.Settings settings =
          ProcessCluster.Settings.defaults(where.dir, flinkLib)
              .withTaskManagers(taskManagers, slots)
              .withPorts(restPort, kafkaPort)
              .withPartitions(partitions);
      out.printf(
          "starting Kafka, a JobManager and %d TaskManager(s) in %s ...%n",
          taskManagers, where.dir.toAbsolutePath());
      ProcessCluster cluster = ProcessCluster.start(settings);
      try {
        Path reg = registry != null ? registry : cluster.workDir().resolve("registry");
        String job = noJob ? null : deploy(cluster, reg, jar, out);
        if (job != null && retrainBudget > 0) {
          out.println("starting the retrain worker ...");
          cluster.startRetrainWorker(retrainWorkerArgs(reg));
        }
        out.printf("%nKafka          %s%n", cluster.bootstrapServers());
        out.printf("Flink web UI   %s%n", cluster.restUri());
        if (job != null) {
          out.printf(
              "scoring job    %s (%s)%n", job, cluster.restUri().resolve("/#/job/running/" + job));
        }
        if (job != null && retrainBudget > 0) {
          out.printf(
              "retrain worker consumes retrain-requests, publishes to %s%n", reg.toAbsolutePath());
        }
        out.printf("logs           %s%n", cluster.workDir().resolve("log"));
        out.printf(
            "%nreplay into it: ./streamrank replay --bootstrap-servers %s%n",
            cluster.bootstrapServers());
        out.printf("state:          ./streamrank cluster status --dir %s%n", where.dir);
        out.printf("stop:           ./streamrank cluster down --dir %s%n", where.dir);
        return 0;
      } catch (Exception e) {
        System.err.println(
            "streamrank: deploying failed, stopping the cluster; logs stay in "
                + cluster.workDir().resolve("log"));
        cluster.stop();
        throw e;
      }
    }

    /** The retrain worker's options: the same registry and data as the scoring job's model. */
    private List<String> retrainWorkerArgs(Path reg) {
      List<String> args = new java.util.ArrayList<>();
      args.addAll(List.of("--registry", reg.toAbsolutePath().toString()));
      args.addAll(List.of("--budget", Integer.toString(retrainBudget)));
      // The demo's search (random, 9 epochs), not the worker's defaults: a retrain on this
      // machine's few cores stays as short as the demo's.
      args.addAll(List.of("--algo", "random", "--epochs", "9"));
      if (data.data != null) {
        args.addAll(List.of("--data", data.data.toAbsolutePath().toString()));
      } else {
        args.addAll(
            List.of(
                "--synthetic-ratings",
                Integer.toString(data.syntheticRatings),
                "--scenario",
                data.scenario,
                "--seed",
                Long.toString(data.seed)));
      }
      return args;
    }

    private String deploy(ProcessCluster cluster, Path reg, Path jar, PrintStream out)
        throws Exception {
      String uri = reg.toAbsolutePath().toUri().toString();
      Optional<String> version = Files.isDirectory(reg) ? new ModelRegistry(uri).latest() : null;
      if (version == null || version.isEmpty()) {
        StreamrankCli.require(
            registry == null, "model registry " + registry + " has no version to serve");
        Files.createDirectories(reg);
        RatingData d = data.load();
        d.malformedSummary().ifPresent(out::println);
        Split split = Splits.byTime(d.ratings(), 0.5, 0.6);
        out.printf("training the initial model on %s ...%n", d.source());
        version =
            Optional.of(
                InitialModel.trainAndPublish(split.train(), split.valid(), reg, out).version());
      }
      FlinkRestClient rest = cluster.rest();
      out.printf("deploying %s (model %s from %s) ...%n", jar.getFileName(), version.get(), uri);
      String jarId = rest.uploadJar(jar);
      return rest.run(
          jarId,
          KafkaScoringJob.class.getName(),
          List.of(
              "--" + ScoringOptions.BOOTSTRAP_SERVERS.key(),
              cluster.bootstrapServers(),
              "--" + ScoringOptions.REGISTRY.key(),
              uri),
          taskManagers * slots,
          null);
    }

    static Path defaultJobJar() throws IOException {
      Path target = Path.of("streaming-job", "target");
      if (!Files.isDirectory(target)) {
        return target.resolve("streamrank-streaming-job-VERSION-job.jar");
      }
      try (Stream<Path> files = Files.list(target)) {
        return files
            .filter(f -> f.getFileName().toString().endsWith("-job.jar"))
            .findFirst()
            .orElse(target.resolve("streamrank-streaming-job-VERSION-job.jar"));
      }
    }
  }

  @Command(
      name = "down",
      mixinStandardHelpOptions = true,
      description =
          "Stops the cluster recorded in the work directory (TaskManagers, JobManager, then the"
              + " broker; SIGTERM, SIGKILL after 30 s). Only processes that cluster up started"
              + " are touched. Logs stay.")
  static final class Down implements Callable<Integer> {
    @CommandLine.Mixin Where where = new Where();
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Optional<ProcessCluster> cluster = ProcessCluster.attach(where.dir);
      if (cluster.isEmpty()) {
        out.println("no cluster recorded in " + where.dir.toAbsolutePath());
        return 0;
      }
      List<ProcessCluster.Member> running =
          cluster.get().members().stream().filter(ProcessCluster.Member::alive).toList();
      cluster.get().stop();
      for (ProcessCluster.Member m : running) {
        out.printf("stopped %-14s pid %d%n", m.name(), m.pid());
      }
      out.println("logs stay in " + cluster.get().workDir().resolve("log"));
      return 0;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Shows each process of the cluster recorded in the work directory (running or gone),"
            + " the broker's address, and what the JobManager reports: TaskManagers, slots, jobs.",
        "Exits 0 when every process runs, 1 when some are gone, 3 when there is no cluster."
      })
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin Where where = new Where();
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Optional<ProcessCluster> attached = ProcessCluster.attach(where.dir);
      if (attached.isEmpty()) {
        out.println("no cluster recorded in " + where.dir.toAbsolutePath());
        return 3;
      }
      ProcessCluster cluster = attached.get();
      boolean allUp = true;
      for (ProcessCluster.Member m : cluster.members()) {
        boolean alive = m.alive();
        allUp &= alive;
        out.printf(
            "%-14s pid %-8d %-8s %s%n", m.name(), m.pid(), alive ? "running" : "gone", m.log());
      }
      for (ProcessCluster.Member m : cluster.members()) {
        cluster
            .metricsUri(m.name())
            .ifPresent(u -> out.printf("metrics        %-14s %s%n", m.name(), u));
      }
      out.printf("Kafka          %s%n", cluster.bootstrapServers());
      out.printf("Flink web UI   %s%n", cluster.restUri());
      if (cluster.restUri() != null) {
        try {
          FlinkRestClient rest = cluster.rest();
          JsonNode o = rest.overview();
          out.printf(
              "TaskManagers   %d, slots %d (%d free), jobs running %d%n",
              o.path("taskmanagers").asInt(),
              o.path("slots-total").asInt(),
              o.path("slots-available").asInt(),
              o.path("jobs-running").asInt());
          for (JsonNode j : rest.jobs()) {
            out.printf(
                "job            %s %-10s %s%n",
                j.path("jid").asText(), j.path("state").asText(), j.path("name").asText());
          }
        } catch (IOException e) {
          out.println("JobManager     not answering: " + e.getMessage());
          allUp = false;
        }
      }
      return allUp ? 0 : 1;
    }
  }
}
