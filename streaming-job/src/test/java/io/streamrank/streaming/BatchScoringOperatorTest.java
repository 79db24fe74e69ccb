package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.schemas.Event;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Harness tests of micro-batching and hot swap: when batches go out, which version scores them. */
class BatchScoringOperatorTest {
  static ScoringRequest event(int i) {
    return ScoringRequest.of(
        Event.newBuilder()
            .setEventId("e" + i)
            .setUserId(i)
            .setMovieId(100 + i)
            .setTimestamp(1_000L * i)
            .build());
  }

  private static TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> harness(
      int batch, long flushMs, OperatorSubtaskState restore) throws Exception {
    var h =
        new TwoInputStreamOperatorTestHarness<>(
            new BatchScoringOperator(TestModels.provider(), batch, flushMs, 0.0));
    h.setProcessingTime(0);
    if (restore != null) {
      h.initializeState(restore);
    }
    h.open();
    return h;
  }

  private static TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> harness(
      int batch, long flushMs) throws Exception {
    return harness(batch, flushMs, null);
  }

  private static List<Prediction> predictions(
      TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> h) {
    return h.extractOutputValues();
  }

  private static List<MonitorReport> reports(
      TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> h) {
    List<MonitorReport> out = new ArrayList<>();
    var side = h.getSideOutput(BatchScoringOperator.MONITORING);
    if (side != null) {
      side.forEach(r -> out.add(r.getValue()));
    }
    return out;
  }

  /** Advances processing time until the operator has finished loading, or fails after 10 s. */
  private static void awaitLoad(
      TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> h)
      throws Exception {
    var op = (BatchScoringOperator) h.getOperator();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    long t = h.getProcessingTime();
    while (op.isLoading()) {
      assertThat(System.nanoTime()).as("load did not finish").isLessThan(deadline);
      Thread.sleep(5);
      t += 20;
      h.setProcessingTime(t);
    }
  }

  @AfterEach
  void everyModelClosed() {
    assertThat(TestModels.OPEN.get()).as("models left open").isZero();
  }

  @Test
  void fullBatchGoesOutAtOnceInOrderWithVersionAndTimes() throws Exception {
    try (var h = harness(4, 50)) {
      h.setProcessingTime(7);
      for (int i = 0; i < 4; i++) {
        h.processElement1(new StreamRecord<>(event(i)));
      }
      List<Prediction> out = predictions(h);
      assertThat(out).extracting(Prediction::getEventId).containsExactly("e0", "e1", "e2", "e3");
      assertThat(out)
          .extracting(Prediction::getScore)
          .containsExactly(0.1f, 1.101f, 2.102f, 3.103f);
      assertThat(out).allSatisfy(p -> assertThat(p.getModelVersion()).isEqualTo("v0"));
      assertThat(out).allSatisfy(p -> assertThat(p.getIngestTime()).isEqualTo(7L));
      assertThat(out.get(3).getEventTimestamp()).isEqualTo(3_000L);
    }
  }

  @Test
  void predictionsSayWhetherTheUserAndMovieTookTheOutOfVocabularyPath() throws Exception {
    try (var h = harness(2, 50)) {
      h.processElement1(
          new StreamRecord<>(
              ScoringRequest.of(
                  Event.newBuilder()
                      .setEventId("a")
                      .setUserId(1)
                      .setMovieId(2000)
                      .setTimestamp(1)
                      .build())));
      h.processElement1(
          new StreamRecord<>(
              ScoringRequest.of(
                  Event.newBuilder()
                      .setEventId("b")
                      .setUserId(5000)
                      .setMovieId(3)
                      .setTimestamp(1)
                      .build())));
      assertThat(predictions(h))
          .extracting(p -> p.getUserKnown() + "/" + p.getMovieKnown())
          .containsExactly("true/false", "false/true");
    }
  }

  @Test
  void partialBatchWaitsForTheFlushIntervalThenGoesOut() throws Exception {
    try (var h = harness(100, 50)) {
      h.processElement1(new StreamRecord<>(event(1)));
      h.processElement1(new StreamRecord<>(event(2)));
      h.setProcessingTime(49);
      assertThat(predictions(h)).isEmpty();
      h.setProcessingTime(50);
      assertThat(predictions(h)).hasSize(2);
      assertThat(predictions(h).get(0).getScoredTime()).isEqualTo(50L);
    }
  }

  @Test
  void checkpointBarrierFlushesSoNothingIsBufferedInAFinishedCheckpoint() throws Exception {
    try (var h = harness(100, 10_000)) {
      h.processElement1(new StreamRecord<>(event(1)));
      h.prepareSnapshotPreBarrier(1L);
      assertThat(predictions(h)).hasSize(1);
      h.snapshot(1L, 1L);
      assertThat(((BatchScoringOperator) h.getOperator()).pendingCount()).isZero();
    }
  }

  @Test
  void endOfInputFlushes() throws Exception {
    var h = harness(100, 10_000);
    for (int i = 0; i < 3; i++) {
      h.processElement1(new StreamRecord<>(event(i)));
    }
    h.endInput1();
    h.close();
    assertThat(predictions(h)).hasSize(3);
  }

  @Test
  void announcementBeforeAnyEventIsLoadedAndServesTheFirstEvents() throws Exception {
    try (var h = harness(2, 50)) {
      h.processElement2(new StreamRecord<>(TestModels.announce("v1", 10, "ok")));
      awaitLoad(h);
      h.processElement1(new StreamRecord<>(event(1)));
      h.processElement1(new StreamRecord<>(event(2)));
      assertThat(predictions(h)).extracting(Prediction::getModelVersion).containsOnly("v1");
      assertThat(reports(h)).extracting(MonitorReport::getKind).containsExactly("swap");
    }
  }

  @Test
  void loadingNeverBlocksScoringAndTheSwapHappensBetweenBatches() throws Exception {
    TestModels.slowGate = new CountDownLatch(1);
    try (var h = harness(2, 50)) {
      h.processElement1(new StreamRecord<>(event(1)));
      h.processElement2(new StreamRecord<>(TestModels.announce("v1", 10, "slow")));
      h.processElement1(new StreamRecord<>(event(2))); // batch full: scored while v1 loads
      h.processElement1(new StreamRecord<>(event(3)));
      assertThat(((BatchScoringOperator) h.getOperator()).isLoading()).isTrue();
      TestModels.slowGate.countDown();
      awaitLoad(h);
      // e3 was pending at the swap: it went out with the old version, in the same order.
      h.processElement1(new StreamRecord<>(event(4)));
      h.processElement1(new StreamRecord<>(event(5)));
      assertThat(predictions(h))
          .extracting(p -> p.getEventId() + "@" + p.getModelVersion())
          .containsExactly("e1@v0", "e2@v0", "e3@v0", "e4@v1", "e5@v1");
    } finally {
      TestModels.slowGate = new CountDownLatch(0);
    }
  }

  @Test
  void rejectedOlderAndWorseVersionsNeverServeAndRejectionsAreReported() throws Exception {
    try (var h = harness(1, 50)) {
      h.processElement2(
          new StreamRecord<>(TestModels.announce("v1", 10, "reject/sha256 mismatch")));
      awaitLoad(h);
      h.processElement2(new StreamRecord<>(TestModels.announce("v2", 20, "worse")));
      awaitLoad(h);
      h.processElement2(new StreamRecord<>(TestModels.announce("v3", 30, "ok")));
      awaitLoad(h);
      // Older than v3 and no rollback flag: ignored without a load.
      h.processElement2(new StreamRecord<>(TestModels.announce("v4", 5, "ok")));
      assertThat(((BatchScoringOperator) h.getOperator()).isLoading()).isFalse();
      h.processElement1(new StreamRecord<>(event(1)));
      assertThat(predictions(h)).extracting(Prediction::getModelVersion).containsExactly("v3");
      List<MonitorReport> r = reports(h);
      assertThat(r)
          .extracting(MonitorReport::getKind)
          .containsExactly("rejection", "rejection", "swap");
      assertThat(r.get(0).getMessage()).isEqualTo("sha256 mismatch");
      assertThat(r.get(1).getMessage()).contains("gate").contains("worse than serving v0");
    }
  }

  @Test
  void explicitRollbackToAnOlderVersionIsAdopted() throws Exception {
    try (var h = harness(1, 50)) {
      h.processElement2(new StreamRecord<>(TestModels.announce("v3", 30, "ok")));
      awaitLoad(h);
      ModelUpdate back = TestModels.announce("v1", 10, "ok");
      back.setRollback(true);
      h.processElement2(new StreamRecord<>(back));
      awaitLoad(h);
      h.processElement1(new StreamRecord<>(event(1)));
      assertThat(predictions(h)).extracting(Prediction::getModelVersion).containsExactly("v1");
    }
  }

  @Test
  void restoreServesTheCheckpointedVersion() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness(1, 50)) {
      h.processElement2(new StreamRecord<>(TestModels.announce("v2", 20, "ok")));
      awaitLoad(h);
      snapshot = h.snapshot(1L, 1L);
    }
    try (var restored = harness(1, 50, snapshot)) {
      restored.processElement1(new StreamRecord<>(event(1)));
      assertThat(predictions(restored))
          .extracting(Prediction::getModelVersion)
          .containsExactly("v2");
    }
  }
}
