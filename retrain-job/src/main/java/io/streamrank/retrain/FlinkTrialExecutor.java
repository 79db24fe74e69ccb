package io.streamrank.retrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.model.ModelConfig;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs trials as parallel tasks of a Flink batch job: on a cluster they spread over every task
 * slot, locally over the MiniCluster's. Each task reads its data window itself ({@link
 * DataSpec#load}, once per JVM); trials travel as JSON so no type needs a Flink serializer.
 *
 * <p>Two ways to run them, the same for every search algorithm and pruner:
 *
 * <ul>
 *   <li><b>A tuning session</b> ({@link #local}, {@link #session}): {@link #startSession} (or the
 *       first {@link #run}) submits one long-lived job of {@link #parallelism()} worker tasks
 *       ({@link TrialWorker}), which ask the tuner's {@link TrialServer} for trials, run them and
 *       answer, until {@link #endSession}: after each search on a shared cluster ({@link
 *       #searchEnded}), on {@link #close} for an executor with its own cluster. Successive rounds,
 *       rungs, batches and searches then cost a message, not a job submission. The TaskManagers
 *       must reach the tuner's address.
 *   <li><b>A job per round</b> (the constructors): every {@link #run} submits a batch job of its
 *       trials. Built with an environment factory (one environment per submitting thread, all on
 *       the same cluster), several rounds may run at once, which asynchronous successive halving
 *       uses to keep every slot busy. Built with one environment, rounds run one after the other.
 * </ul>
 */
public final class FlinkTrialExecutor implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long {@link #startSession} waits for a session's workers to reach the tuner. */
  static final Duration WORKERS_TIMEOUT = Duration.ofMinutes(5);

  private final ThreadLocal<StreamExecutionEnvironment> env;
  private final boolean concurrent;
  private final Object serial = new Object();
  private final Supplier<StreamExecutionEnvironment> environments;
  private final int parallelism;
  private final AutoCloseable cluster;

  /** The tuner's address for the workers of a session, or null to run a job per round. */
  private final String sessionHost;

  private final Object sessionLock = new Object();
  private Session session;

  /**
   * @param env where the batch jobs run (a local environment runs them in a MiniCluster)
   * @param parallelism trials run at once
   */
  public FlinkTrialExecutor(StreamExecutionEnvironment env, int parallelism) {
    this(() -> env, parallelism, false, null, null);
  }

  /**
   * An executor that runs each search as a tuning session: one long-lived job on the cluster the
   * environments submit to, whose worker tasks connect back to this process.
   *
   * @param environments makes an environment on the cluster
   * @param parallelism worker tasks of a session (task slots the trials use at once)
   * @param host this process's address as the TaskManagers reach it (the server listens there)
   */
  public static FlinkTrialExecutor session(
      Supplier<StreamExecutionEnvironment> environments, int parallelism, String host) {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("a tuning session needs the tuner's address, got none");
    }
    return new FlinkTrialExecutor(environments, parallelism, true, null, host);
  }

  /**
   * An executor that runs each search as a tuning session ({@link #session}) on a running Flink
   * cluster: the session's job is submitted through the JobManager's REST endpoint with {@code
   * jobJar} (the retrain-job module's {@code -job.jar}), so its worker tasks run on the cluster's
   * TaskManagers and connect back to this process at {@code tunerHost}.
   *
   * @param rest the JobManager's REST endpoint, e.g. {@code http://jobmanager:8081}
   * @param jobJar the tuning job's jar, shipped with every session
   * @param parallelism worker tasks of a session (task slots the trials use at once)
   * @param tunerHost this process's address as the TaskManagers reach it
   * @throws IllegalArgumentException naming a missing jar or an endpoint without host or port
   */
  public static FlinkTrialExecutor onCluster(
      URI rest, java.nio.file.Path jobJar, int parallelism, String tunerHost) {
    if (rest.getHost() == null || rest.getPort() < 0) {
      throw new IllegalArgumentException(
          "the JobManager's REST endpoint needs a host and a port, got " + rest);
    }
    if (!java.nio.file.Files.isRegularFile(jobJar)) {
      throw new IllegalArgumentException(
          "no tuning job jar at "
              + jobJar.toAbsolutePath()
              + " (./mvnw -pl retrain-job -am package builds streamrank-retrain-job-*-job.jar)");
    }
    Configuration client = new Configuration();
    String jar = jobJar.toAbsolutePath().toString();
    return session(
        () ->
            StreamExecutionEnvironment.createRemoteEnvironment(
                rest.getHost(), rest.getPort(), client, jar),
        parallelism,
        tunerHost);
  }

  /**
   * An executor on its own in-process Flink cluster (one TaskManager with {@code parallelism}
   * slots, every endpoint on 127.0.0.1) that it starts now and stops on {@link #close}: started
   * once, it runs each search as a tuning session ({@link #session}) on loopback.
   */
  public static FlinkTrialExecutor local(int parallelism) throws Exception {
    if (parallelism <= 0) {
      throw new IllegalArgumentException("parallelism must be > 0, got " + parallelism);
    }
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
    conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.HOST, "127.0.0.1");
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .build());
    cluster.start();
    URI rest = cluster.getRestAddress().get();
    Configuration client = new Configuration();
    client.set(RestOptions.ADDRESS, rest.getHost());
    client.set(RestOptions.PORT, rest.getPort());
    return new FlinkTrialExecutor(
        () ->
            StreamExecutionEnvironment.createRemoteEnvironment(
                rest.getHost(), rest.getPort(), client),
        parallelism,
        true,
        cluster,
        "127.0.0.1");
  }

  /**
   * An executor that may run rounds concurrently.
   *
   * @param environments makes an environment on the shared cluster, called once per thread
   * @param parallelism task slots the trials may use at once
   */
  public FlinkTrialExecutor(Supplier<StreamExecutionEnvironment> environments, int parallelism) {
    this(environments, parallelism, true, null, null);
  }

  private FlinkTrialExecutor(
      Supplier<StreamExecutionEnvironment> environments,
      int parallelism,
      boolean concurrent,
      AutoCloseable cluster,
      String sessionHost) {
    if (parallelism <= 0) {
      throw new IllegalArgumentException("parallelism must be > 0, got " + parallelism);
    }
    this.environments = environments;
    this.env = ThreadLocal.withInitial(this::batchEnvironment);
    this.parallelism = parallelism;
    this.concurrent = concurrent;
    this.cluster = cluster;
    this.sessionHost = sessionHost;
  }

  private StreamExecutionEnvironment batchEnvironment() {
    StreamExecutionEnvironment e = environments.get();
    e.setRuntimeMode(RuntimeExecutionMode.BATCH);
    return e;
  }

  /** Ends the session, if any, then stops the cluster this executor started, if any. */
  @Override
  public void close() throws Exception {
    try {
      endSession();
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  /**
   * Starts the tuning session now, if this executor runs sessions and none is running, and waits
   * until every worker task has reached the tuner: a search that follows starts training at once.
   * An executor on its own in-process cluster ({@link #local}) keeps its session until {@link
   * #close}, so later searches find their workers up; on a shared cluster {@link #searchEnded} ends
   * it and frees the slots.
   *
   * @param data the search's data (in-process, read and prepared while the workers start)
   * @throws IllegalStateException when the session's job fails or its workers do not all reach the
   *     tuner within {@link #WORKERS_TIMEOUT}
   */
  public void startSession(DataSpec data) throws Exception {
    if (sessionHost != null) {
      session(data).server.awaitWorkers(parallelism, WORKERS_TIMEOUT);
    }
  }

  /**
   * Called when a search and its defaults' trial are done: ends the session unless this executor
   * owns its cluster (then the session stays up for the next search, and ends on {@link #close}).
   */
  public void searchEnded() throws Exception {
    if (cluster == null) {
      endSession();
    }
  }

  /** Whether searches run as a tuning session (one long-lived job) rather than a job per round. */
  public boolean sessions() {
    return sessionHost != null;
  }

  /**
   * Ends the running tuning session, if any: its workers finish and its job ends, freeing the task
   * slots. The next {@link #run} starts a new one. A no-op for an executor that runs a job per
   * round.
   */
  public void endSession() throws Exception {
    Session s;
    synchronized (sessionLock) {
      s = session;
      session = null;
    }
    if (s != null) {
      s.end();
    }
  }

  public int parallelism() {
    return parallelism;
  }

  /** Whether rounds submitted from different threads run at the same time. */
  public boolean concurrent() {
    return concurrent;
  }

  /**
   * Runs the trials and returns their results in the order given. Safe to call from several
   * threads; with a single environment the calls take turns.
   */
  public List<TrialResult> run(List<TrialSpec> trials, DataSpec data, ModelConfig base)
      throws Exception {
    return run(trials, data, base, parallelism);
  }

  /**
   * Runs the trials on at most {@code tasks} parallel tasks (each task runs its share one after the
   * other), so several short trials share one job's fixed cost (submission, scheduling, result
   * collection).
   */
  public List<TrialResult> run(List<TrialSpec> trials, DataSpec data, ModelConfig base, int tasks)
      throws Exception {
    if (tasks <= 0) {
      throw new IllegalArgumentException("tasks must be > 0, got " + tasks);
    }
    if (trials.isEmpty()) {
      return List.of();
    }
    int p = Math.min(Math.min(parallelism, tasks), trials.size());
    if (sessionHost != null) {
      return session(data).run(trials, data, base, p);
    }
    if (concurrent) {
      return runOn(env.get(), trials, data, base, p);
    }
    synchronized (serial) {
      return runOn(env.get(), trials, data, base, p);
    }
  }

  private List<TrialResult> runOn(
      StreamExecutionEnvironment env,
      List<TrialSpec> trials,
      DataSpec data,
      ModelConfig base,
      int tasks)
      throws Exception {
    List<String> specs = new ArrayList<>();
    for (TrialSpec t : trials) {
      specs.add(JSON.writeValueAsString(t));
    }
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / parallelism);
    String dataJson = JSON.writeValueAsString(data);
    String baseJson = JSON.writeValueAsString(base.toMap());
    List<TrialResult> results = new ArrayList<>();
    try (CloseableIterator<String> it =
        env.fromData(specs)
            .rebalance()
            .map(new RunTrial(dataJson, baseJson, threads))
            .setParallelism(tasks)
            .name("trial")
            .executeAndCollect("streamrank tuning round")) {
      while (it.hasNext()) {
        results.add(JSON.readValue(it.next(), TrialResult.class));
      }
    }
    return ordered(trials, results);
  }

  private Session session(DataSpec data) throws Exception {
    synchronized (sessionLock) {
      if (session == null || session.ended()) {
        if (session != null) {
          // Its server failed (a worker was lost) while its job ran on: stop what is left of it.
          session.end();
        }
        session = new Session(data);
      }
      return session;
    }
  }

  /** One long-lived job of worker tasks and the server that feeds them. */
  private final class Session {
    private final TrialServer server;
    private final Thread job;
    private final int threads =
        Math.max(1, Runtime.getRuntime().availableProcessors() / parallelism);

    Session(DataSpec data) throws Exception {
      if (cluster != null) {
        // The workers run in this JVM: read and prepare the data while the job starts, so they
        // find it in DataSpec's cache. A failure here is the workers' own load's to report.
        CompletableFuture.runAsync(data::load).exceptionally(ex -> null);
      }
      server = new TrialServer(InetAddress.getByName(sessionHost));
      int port = server.address().getPort();
      StreamExecutionEnvironment e = batchEnvironment();
      job =
          new Thread(
              () -> {
                // A parallel source of one number per worker, the worker chained to it: one
                // stage of tasks to deploy, one per slot.
                try (CloseableIterator<Long> it =
                    e.fromSequence(0, parallelism - 1)
                        .setParallelism(parallelism)
                        .map(new TrialWorker(sessionHost, port))
                        .setParallelism(parallelism)
                        .name("trial worker")
                        .executeAndCollect("streamrank tuning session")) {
                  while (it.hasNext()) {
                    it.next();
                  }
                  server.fail(new IllegalStateException("the tuning session's job ended"));
                } catch (Exception ex) {
                  server.fail(ex);
                }
              },
              "tuning-session");
      job.setDaemon(true);
      job.start();
    }

    /** Runs the trials split round robin over {@code units} workers; results in the order given. */
    List<TrialResult> run(List<TrialSpec> trials, DataSpec data, ModelConfig base, int units)
        throws Exception {
      Map<String, Object> baseMap = base.toMap();
      List<CompletableFuture<List<TrialResult>>> futures = new ArrayList<>();
      for (int u = 0; u < units; u++) {
        List<TrialSpec> share = new ArrayList<>();
        for (int i = u; i < trials.size(); i += units) {
          share.add(trials.get(i));
        }
        futures.add(server.submit(data, baseMap, threads, share));
      }
      List<TrialResult> results = new ArrayList<>();
      for (CompletableFuture<List<TrialResult>> f : futures) {
        try {
          results.addAll(f.get());
        } catch (ExecutionException ex) {
          throw ex.getCause() instanceof Exception cause ? cause : ex;
        }
      }
      return ordered(trials, results);
    }

    /** Its job ended, or its server failed or closed: a kept session must not serve again. */
    boolean ended() {
      return !job.isAlive() || server.closed();
    }

    void end() throws InterruptedException {
      server.close();
      job.join(TimeUnit.MINUTES.toMillis(1));
    }
  }

  private static List<TrialResult> ordered(List<TrialSpec> trials, List<TrialResult> results) {
    List<TrialResult> ordered = new ArrayList<>();
    for (TrialSpec t : trials) {
      ordered.add(
          results.stream()
              .filter(r -> r.id().equals(t.id()))
              .findFirst()
              .orElseThrow(
                  () -> new IllegalStateException("trial " + t.id() + " returned nothing")));
    }
    return ordered;
  }

  /** The task: JSON spec in, JSON result out. */
  private static final class RunTrial extends RichMapFunction<String, String> {
    private static final long serialVersionUID = 1L;

    private final String dataJson;
    private final String baseJson;
    private final int threads;

    RunTrial(String dataJson, String baseJson, int threads) {
      this.dataJson = dataJson;
      this.baseJson = baseJson;
      this.threads = threads;
    }

    @Override
    @SuppressWarnings("unchecked")
    public String map(String specJson) throws Exception {
      TrialSpec spec = JSON.readValue(specJson, TrialSpec.class);
      DataSpec data = JSON.readValue(dataJson, DataSpec.class);
      ModelConfig base = ModelConfig.fromMap(JSON.readValue(baseJson, Map.class));
      DataSpec trialData = SearchSpace.data(data, spec.point());
      return JSON.writeValueAsString(
          TrialRunner.run(spec, trialData.load(), base, threads)
              .ranOn(
                  getRuntimeContext().getJobInfo().getJobId().toString(),
                  getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()));
    }
  }
}
