package io.streamrank.retrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * A tuning session (one long-lived job of worker tasks, {@link FlinkTrialExecutor#local}) against a
 * job per round, on small synthetic data in a MiniCluster.
 */
class TrialSessionTest {
  static final DataSpec DATA =
      DataSpec.synthetic(SyntheticGenerator.Options.defaults().withRatings(4_000), "time");
  static final ModelConfig BASE =
      ModelConfig.builder().embeddingDim(8).hiddenLayers(8).epochs(3).patience(2).build();

  private static List<TrialSpec> trials(String prefix, double... learningRates) {
    List<TrialSpec> specs = new ArrayList<>();
    for (int i = 0; i < learningRates.length; i++) {
      Map<String, Object> p = SearchSpace.point(BASE);
      p.put(SearchSpace.LEARNING_RATE, learningRates[i]);
      specs.add(new TrialSpec(prefix + i, p, 3));
    }
    return specs;
  }

  private static String job(TrialResult r) {
    return r.task().substring(0, r.task().indexOf('/'));
  }

  @Test
  void successiveRoundsRunInOneJobsParallelTasksWithTheResultsOfAJobPerRound() throws Exception {
    List<TrialSpec> first = trials("a", 0.003, 0.01, 0.0003);
    List<TrialSpec> second = trials("b", 0.001, 0.03);
    List<TrialResult> perRound = new ArrayList<>();
    FlinkTrialExecutor jobs =
        new FlinkTrialExecutor(StreamExecutionEnvironment.createLocalEnvironment(2), 2);
    perRound.addAll(jobs.run(first, DATA, BASE));
    perRound.addAll(jobs.run(second, DATA, BASE));

    List<TrialResult> session = new ArrayList<>();
    List<TrialResult> next;
    try (FlinkTrialExecutor executor = FlinkTrialExecutor.local(2)) {
      assertThat(executor.sessions()).isTrue();
      session.addAll(executor.run(first, DATA, BASE));
      session.addAll(executor.run(second, DATA, BASE, 1));
      executor.endSession();
      next = executor.run(trials("c", 0.003), DATA, BASE);
    }

    assertThat(session).extracting(TrialResult::id).containsExactly("a0", "a1", "a2", "b0", "b1");
    for (int i = 0; i < session.size(); i++) {
      // The same trials on the same data give the same curves, whichever way they ran.
      assertThat(session.get(i).curve()).as(session.get(i).id()).isEqualTo(perRound.get(i).curve());
    }
    assertThat(next.get(0).curve()).isEqualTo(perRound.get(0).curve());
    // Both rounds ran in one job, on both of its parallel tasks; a job per round used two jobs.
    assertThat(session).extracting(TrialSessionTest::job).containsOnly(job(session.get(0)));
    assertThat(session.subList(0, 3))
        .extracting(r -> r.task().substring(r.task().indexOf('/') + 1))
        .containsOnly("0", "1")
        .contains("0", "1");
    assertThat(perRound.stream().map(TrialSessionTest::job).distinct()).hasSize(2);
    // After the session ended, the next run started a new job.
    assertThat(job(next.get(0))).isNotEqualTo(job(session.get(0)));
  }

  @Test
  void anInProcessSessionStartsBeforeTheSearchAndServesTheNextSearchToo() throws Exception {
    String first;
    try (FlinkTrialExecutor executor = FlinkTrialExecutor.local(2)) {
      executor.startSession(DATA);
      first = job(executor.run(trials("a", 0.003), DATA, BASE).get(0));
      executor.searchEnded();
      executor.startSession(DATA);
      // The executor owns its cluster: the session stayed up for the next search.
      assertThat(job(executor.run(trials("b", 0.003), DATA, BASE).get(0))).isEqualTo(first);
      executor.endSession();
      assertThat(job(executor.run(trials("c", 0.003), DATA, BASE).get(0))).isNotEqualTo(first);
    }
  }

  @Test
  void aSessionOnASharedClusterEndsWithItsSearch() throws Exception {
    try (FlinkTrialExecutor executor =
        FlinkTrialExecutor.session(
            () -> StreamExecutionEnvironment.createLocalEnvironment(2), 2, "127.0.0.1")) {
      executor.startSession(DATA);
      String first = job(executor.run(trials("a", 0.003), DATA, BASE).get(0));
      executor.searchEnded();
      // Its slots were freed: the next search started a job of its own.
      assertThat(job(executor.run(trials("b", 0.003), DATA, BASE).get(0))).isNotEqualTo(first);
    }
  }

  @Test
  void waitingForWorkersEndsWithTheirCountOrTheSessionsFailure() throws Exception {
    try (TrialServer server = new TrialServer(InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> server.awaitWorkers(2, Duration.ofMillis(200)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("0 of 2 trial workers reached the tuner at");
      try (Socket worker = new Socket(server.address().getAddress(), server.address().getPort())) {
        server.awaitWorkers(1, Duration.ofSeconds(30));
        server.fail(new IllegalStateException("no free task slots"));
        assertThatThrownBy(() -> server.awaitWorkers(2, Duration.ofSeconds(30)))
            .hasMessageContaining("the tuning session failed while its workers started")
            .hasMessageContaining("no free task slots");
      }
    }
  }

  @Test
  void aFailingTrialIsNamedAndTheSessionRunsOn() throws Exception {
    DataSpec empty = DATA.window(-2, -1);
    try (FlinkTrialExecutor executor = FlinkTrialExecutor.local(2)) {
      assertThatThrownBy(() -> executor.run(trials("bad", 0.003), empty, BASE))
          .hasMessageContaining("trials [bad0] failed on a worker")
          .hasMessageContaining("no ratings in the data window");
      assertThat(executor.run(trials("good", 0.003), DATA, BASE))
          .singleElement()
          .satisfies(r -> assertThat(r.curve()).isNotEmpty());
    }
  }
}
