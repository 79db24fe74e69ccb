package io.streamrank.retrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.model.ModelConfig;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Runs a round of trials as a Flink batch job, one trial per parallel task: on a cluster a round
 * spreads over every task slot, locally over the MiniCluster's. Each task reads its data window
 * itself ({@link DataSpec#load}); trials travel as JSON so no type needs a Flink serializer.
 *
 * <p>Built with an environment factory (one environment per submitting thread, all on the same
 * cluster), several rounds may run at once, which asynchronous successive halving uses to keep
 * every slot busy. Built with one environment, rounds run one after the other.
 */
public final class FlinkTrialExecutor implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ThreadLocal<StreamExecutionEnvironment> env;
  private final boolean concurrent;
  private final Object serial = new Object();
  private final int parallelism;
  private final AutoCloseable cluster;

  /**
   * @param env where the batch jobs run (a local environment runs them in a MiniCluster)
   * @param parallelism trials run at once
   */
  public FlinkTrialExecutor(StreamExecutionEnvironment env, int parallelism) {
    this(() -> env, parallelism, false, null);
  }

  /**
   * An executor on its own in-process Flink cluster (one TaskManager with {@code parallelism}
   * slots, every endpoint on 127.0.0.1) that it starts now and stops on {@link #close}: started
   * once, it runs rounds concurrently without a cluster start-up per round.
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
        cluster);
  }

  /**
   * An executor that may run rounds concurrently.
   *
   * @param environments makes an environment on the shared cluster, called once per thread
   * @param parallelism task slots the trials may use at once
   */
  public FlinkTrialExecutor(Supplier<StreamExecutionEnvironment> environments, int parallelism) {
    this(environments, parallelism, true, null);
  }

  private FlinkTrialExecutor(
      Supplier<StreamExecutionEnvironment> environments,
      int parallelism,
      boolean concurrent,
      AutoCloseable cluster) {
    if (parallelism <= 0) {
      throw new IllegalArgumentException("parallelism must be > 0, got " + parallelism);
    }
    this.env =
        ThreadLocal.withInitial(
            () -> {
              StreamExecutionEnvironment e = environments.get();
              e.setRuntimeMode(RuntimeExecutionMode.BATCH);
              return e;
            });
    this.parallelism = parallelism;
    this.concurrent = concurrent;
    this.cluster = cluster;
  }

  /** Stops the cluster this executor started, if any. */
  @Override
  public void close() throws Exception {
    if (cluster != null) {
      cluster.close();
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
      return JSON.writeValueAsString(TrialRunner.run(spec, trialData.load(), base, threads));
    }
  }
}
