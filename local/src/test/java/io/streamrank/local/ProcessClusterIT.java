package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ScoringOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The scoring job deployed the production way, on a standalone Flink cluster of separate JVMs
 * (JobManager, two one-slot TaskManagers) and a broker in its own JVM, every endpoint on 127.0.0.1:
 * the job jar is uploaded and run through Flink's REST API. Mid-stream one TaskManager is killed
 * with SIGKILL and a new one started; the job must restart and recover. Then the job is stopped
 * with a savepoint and submitted again from it, so both TaskManagers run it under a fresh user-code
 * classloader in a JVM where ONNX Runtime's native library is already loaded: the case that fails
 * unless ONNX Runtime is loaded parent-first from Flink's lib/. Every event must come out exactly
 * once (read_committed), scored by the published version.
 *
 * <p>Needs the job jar and Flink's lib/, which {@code ./mvnw -pl local -am verify} builds.
 */
class ProcessClusterIT {
  static final Path FLINK_LIB =
      Path.of(System.getProperty("streamrank.flink.lib", "../flink-dist/target/flink/lib"));
  static final Path JOB_JAR =
      Path.of(
          System.getProperty(
              "streamrank.job.jar",
              "../streaming-job/target/streamrank-streaming-job-0.1.0-SNAPSHOT-job.jar"));

  /**
   * false reproduces the failure that parent-first loading prevents, with a job jar that bundles
   * ONNX Runtime ({@code -Dstreamrank.job.jar=...}): see the README.
   */
  static final boolean ONNX_PARENT_FIRST =
      Boolean.parseBoolean(System.getProperty("streamrank.it.onnx-parent-first", "true"));

  /**
   * Extra JVM options of the Flink processes, space-separated ({@code -Dstreamrank.it.java-opts}).
   */
  static final List<String> FLINK_JAVA_OPTIONS =
      Stream.of(System.getProperty("streamrank.it.java-opts", "").trim().split("\\s+"))
          .filter(o -> !o.isEmpty())
          .toList();

  static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void jobSurvivesAKilledTaskManagerAndAResubmissionExactlyOnce() throws Exception {
    assertThat(JOB_JAR).as("job jar (./mvnw -pl local -am verify builds it)").isRegularFile();
    Path work = Path.of("target", "process-cluster-it").toAbsolutePath();
    deleteRecursively(work);
    Path registry = Files.createDirectories(work.resolve("registry"));

    List<Rating> ratings =
        new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(30_000))
            .generate()
            .ratings();
    Split split = Splits.byTime(ratings, 0.5, 0.6);
    InitialModel.Trained model =
        InitialModel.trainAndPublish(
            split.train(),
            split.valid(),
            registry,
            ModelConfig.builder().embeddingDim(8).hiddenLayers(16).epochs(2).seed(1).build(),
            new PrintStream(PrintStream.nullOutputStream()));
    List<Rating> live = split.test();
    int n = live.size();

    Topics topics = Topics.defaults();
    try (ProcessCluster cluster =
        ProcessCluster.start(
            ProcessCluster.Settings.defaults(work.resolve("cluster"), FLINK_LIB)
                .withOnnxRuntimeParentFirst(ONNX_PARENT_FIRST)
                .withFlinkJavaOptions(FLINK_JAVA_OPTIONS))) {
      FlinkRestClient rest = cluster.rest();
      String jar = rest.uploadJar(JOB_JAR);
      List<String> args =
          List.of(
              "--" + ScoringOptions.BOOTSTRAP_SERVERS.key(),
              cluster.bootstrapServers(),
              "--" + ScoringOptions.REGISTRY.key(),
              registry.toUri().toString(),
              "--" + ScoringOptions.CHECKPOINT_INTERVAL.key(),
              "500 ms");
      String entry = KafkaScoringJob.class.getName();
      String first = rest.run(jar, entry, args, 2, null);
      // The retrain worker joins as one more JVM on the same broker and registry.
      cluster.startRetrainWorker(
          List.of("--registry", registry.toString(), "--synthetic-ratings", "30000"));

      try (OutputCollector out = new OutputCollector(cluster.bootstrapServers(), topics);
          ReplayProducer replay = new ReplayProducer(cluster.bootstrapServers(), topics)) {
        Thread reader = new Thread(out, "collector");
        reader.start();
        Diagnostics diag = new Diagnostics(cluster, rest);

        // A completed checkpoint: every task is running. The first half of round 1 streams in at
        // a fixed rate; once output has been committed, a TaskManager dies, however far that half
        // has got, and the second half is sent only after it has died.
        await(() -> checkpoints(rest, first) >= 1, "first checkpoint of " + first, diag, first);
        List<Rating> firstHalf = live.subList(0, n / 2);
        List<Rating> secondHalf = live.subList(n / 2, n);
        CompletableFuture<Long> streaming =
            CompletableFuture.supplyAsync(() -> replay.replay(firstHalf, 1_000, "r1a-"));
        await(() -> out.predictions() >= 1, "first predictions of job " + first, diag, first);
        cluster.kill("taskmanager-1");
        String replacement = cluster.startTaskManager();
        streaming.get();
        replay.replay(secondHalf, 1_000, "r1b-");
        replay.flush();
        await(() -> out.predictions() >= n, "round 1 scored after the kill", diag, first);
        assertThat(rest.jobState(first)).isEqualTo("RUNNING");
        assertThat(rest.lastRestart(first)).as("job %s restarted", first).isPositive();
        assertThat(rest.failures(first)).as("failures of job %s", first).isNotEmpty();
        assertThat(rest.failures(first).toString()).contains("taskmanager-1");
        // After the restart the scheduler may put any operator on either TaskManager: scrape both.
        assertDashboardMetricsScraped(
            List.of(
                cluster.metricsUri("taskmanager-2").orElseThrow(),
                cluster.metricsUri(replacement).orElseThrow()));

        // Round 2: a new job from a savepoint, on TaskManagers that have run ONNX Runtime before.
        String savepoint = rest.stopWithSavepoint(first, WAIT);
        String second = rest.run(jar, entry, args, 2, savepoint);
        replay.replay(live, 0, "r2-");
        replay.flush();
        await(() -> out.predictions() >= 2L * n, "round 2 scored by job " + second, diag, second);
        assertThat(rest.jobState(second)).isEqualTo("RUNNING");
        // Give late duplicates, if there were any, a chance to show up.
        Thread.sleep(1500);
        rest.cancel(second);
        out.close();
        reader.join(10_000);

        assertThat(out.undecodable()).isZero();
        assertThat(out.duplicates()).isZero();
        Map<String, Integer> counts = out.predictionCounts();
        assertThat(counts).hasSize(2 * n);
        for (int i = 0; i < n; i++) {
          String r1 =
              i < n / 2
                  ? ReplayProducer.eventId("r1a-", i)
                  : ReplayProducer.eventId("r1b-", i - n / 2);
          assertThat(counts.get(r1)).as(r1).isEqualTo(1);
          assertThat(counts.get(ReplayProducer.eventId("r2-", i))).as("r2-%d", i).isEqualTo(1);
        }
        assertThat(out.scores().values()).allSatisfy(s -> assertThat(s).isFinite());
        assertThat(out.versions()).containsExactly(model.version());
        assertThat(out.deadLetterCount()).isZero();
      }
      assertThat(cluster.member(ProcessCluster.RETRAIN_WORKER).alive())
          .as(
              "retrain worker still consuming; its log ends:\n%s",
              cluster.logTail(ProcessCluster.RETRAIN_WORKER, 20))
          .isTrue();
    }
  }

  /**
   * Flink's Prometheus reporter on the TaskManagers serves the job's own metrics, among them every
   * metric the Grafana dashboard queries that an operator registers when it opens (the window
   * figures appear once a window closes; DeploymentFilesTest checks those against the statistics).
   */
  private static void assertDashboardMetricsScraped(List<URI> taskManagers) throws Exception {
    StringBuilder scrapes = new StringBuilder();
    for (URI metrics : taskManagers) {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(HttpRequest.newBuilder(metrics).GET().build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).as("GET %s", metrics).isEqualTo(200);
      scrapes.append(r.body()).append('\n');
    }
    String scrape = scrapes.toString();
    List<DeploymentFiles.QueriedMetric> eager =
        DeploymentFiles.queriedMetrics(DeploymentFiles.dashboard()).stream()
            .filter(DeploymentFilesTest::eagerMetric)
            .toList();
    assertThat(eager).hasSizeGreaterThan(5);
    for (DeploymentFiles.QueriedMetric m : eager) {
      String labels = m.monitorKind() == null ? "" : "[^}]*monitor=\"" + m.monitorKind() + "\"";
      assertThat(scrape)
          .as("%s in the scrapes of %s", m, taskManagers)
          .containsPattern(Pattern.quote(m.name()) + "\\{" + labels);
    }
  }

  /** What to show when the job does not get there: its failures and the TaskManagers' logs. */
  private record Diagnostics(ProcessCluster cluster, FlinkRestClient rest) {
    String describe(String jobId) {
      StringBuilder s = new StringBuilder();
      try {
        s.append("job ")
            .append(jobId)
            .append(" is ")
            .append(rest.jobState(jobId))
            .append("; exceptions: ")
            .append(rest.exceptions(jobId).path("exceptionHistory").toPrettyString());
      } catch (IOException | InterruptedException e) {
        s.append("job state unavailable: ").append(e);
      }
      for (ProcessCluster.Member m : cluster.members()) {
        s.append("\n--- ")
            .append(m.name())
            .append(m.alive() ? " (running)" : " (gone)")
            .append(", log ends:\n")
            .append(cluster.logTail(m.name(), 15));
      }
      return s.toString();
    }
  }

  private static void await(BooleanSupplier condition, String what, Diagnostics diag, String job)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what + "\n" + diag.describe(job));
      }
      Thread.sleep(50);
    }
  }

  private static long checkpoints(FlinkRestClient rest, String jobId) {
    try {
      return rest.completedCheckpoints(jobId);
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
