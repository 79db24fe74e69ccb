package io.streamrank.retrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs a round of trials as a Flink batch job, one trial per parallel task: on a cluster a round
 * spreads over every task slot, locally over the MiniCluster's. Each task reads its data window
 * itself ({@link DataSpec#load}); trials travel as JSON so no type needs a Flink serializer.
 */
public final class FlinkTrialExecutor {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StreamExecutionEnvironment env;
  private final int parallelism;

  /**
   * @param env where the batch jobs run (a local environment runs them in a MiniCluster)
   * @param parallelism trials run at once
   */
  public FlinkTrialExecutor(StreamExecutionEnvironment env, int parallelism) {
    if (parallelism <= 0) {
      throw new IllegalArgumentException("parallelism must be > 0, got " + parallelism);
    }
    this.env = env;
    this.parallelism = parallelism;
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
  }

  public int parallelism() {
    return parallelism;
  }

  /** Runs the trials and returns their results in the order given. */
  public List<TrialResult> run(List<TrialSpec> trials, DataSpec data, ModelConfig base)
      throws Exception {
    if (trials.isEmpty()) {
      return List.of();
    }
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
            .setParallelism(Math.min(parallelism, trials.size()))
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
      return JSON.writeValueAsString(TrialRunner.run(spec, data.load(), base, threads));
    }
  }
}
