package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.FlinkTrialExecutor;
import io.streamrank.retrain.SearchSpace;
import io.streamrank.retrain.TrialResult;
import io.streamrank.retrain.TrialSpec;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * A tuning session on a standalone Flink cluster of separate JVMs (JobManager, one TaskManager with
 * two slots): the retrain job's job jar is shipped through the REST endpoint, the session's worker
 * tasks run on the TaskManager and fetch their trials from this JVM over TCP. Every trial must come
 * back from that one job, on both slots, with the learning curve a job in a local MiniCluster gives
 * for the same trial.
 *
 * <p>Needs Flink's lib/ and the retrain job's job jar, which {@code ./mvnw -pl local -am verify}
 * builds.
 */
class TuningOnClusterIT {
  static final Path TUNING_JAR =
      Path.of(
          System.getProperty(
              "streamrank.tuning.jar",
              "../retrain-job/target/streamrank-retrain-job-0.1.0-SNAPSHOT-job.jar"));
  static final DataSpec DATA =
      DataSpec.synthetic(SyntheticGenerator.Options.defaults().withRatings(4_000), "time");
  static final ModelConfig BASE =
      ModelConfig.builder().embeddingDim(8).hiddenLayers(8).epochs(3).patience(2).build();

  @Test
  void aTuningSessionRunsItsTrialsOnTheClustersTaskManagers() throws Exception {
    assertThat(TUNING_JAR)
        .as("tuning job jar (./mvnw -pl local -am verify builds it)")
        .isRegularFile();
    Path work = Path.of("target", "tuning-on-cluster-it").toAbsolutePath();
    ProcessClusterIT.deleteRecursively(work);
    List<TrialSpec> trials = new ArrayList<>();
    double[] rates = {0.003, 0.01, 0.0003, 0.001};
    for (int i = 0; i < rates.length; i++) {
      Map<String, Object> p = SearchSpace.point(BASE);
      p.put(SearchSpace.LEARNING_RATE, rates[i]);
      trials.add(new TrialSpec("t" + i, p, 3));
    }
    List<TrialResult> local =
        new FlinkTrialExecutor(StreamExecutionEnvironment.createLocalEnvironment(2), 2)
            .run(trials, DATA, BASE);

    List<TrialResult> remote;
    List<String> clusterJobs = new ArrayList<>();
    try (ProcessCluster cluster =
        ProcessCluster.start(
            ProcessCluster.Settings.defaults(work, ProcessClusterIT.FLINK_LIB)
                .withTaskManagers(1, 2)
                .withFlinkJavaOptions(ProcessClusterIT.FLINK_JAVA_OPTIONS))) {
      try (FlinkTrialExecutor executor =
          FlinkTrialExecutor.onCluster(cluster.restUri(), TUNING_JAR, 2, ProcessCluster.HOST)) {
        remote = executor.run(trials, DATA, BASE);
        cluster.rest().jobs().forEach(j -> clusterJobs.add(j.path("jid").asText()));
      }
    }

    assertThat(remote).extracting(TrialResult::id).containsExactly("t0", "t1", "t2", "t3");
    for (int i = 0; i < remote.size(); i++) {
      assertThat(remote.get(i).curve()).as(remote.get(i).id()).isEqualTo(local.get(i).curve());
    }
    // One job, the cluster's, on both of its task slots.
    assertThat(remote).extracting(TuningOnClusterIT::job).containsOnly(job(remote.get(0)));
    assertThat(clusterJobs).contains(job(remote.get(0)));
    assertThat(remote)
        .extracting(r -> r.task().substring(r.task().indexOf('/') + 1))
        .containsOnly("0", "1")
        .contains("0", "1");
  }

  @Test
  void aMissingJarOrAnEndpointWithoutPortIsNamed() {
    assertThatThrownBy(
            () ->
                FlinkTrialExecutor.onCluster(
                    URI.create("http://127.0.0.1:8081"), Path.of("no-such.jar"), 2, "127.0.0.1"))
        .hasMessageContaining("no tuning job jar at")
        .hasMessageContaining("no-such.jar");
    assertThatThrownBy(
            () ->
                FlinkTrialExecutor.onCluster(
                    URI.create("http://jobmanager"), TUNING_JAR, 2, "127.0.0.1"))
        .hasMessageContaining("needs a host and a port");
  }

  private static String job(TrialResult r) {
    return r.task().substring(0, r.task().indexOf('/'));
  }
}
