package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.schemas.Event;
import io.streamrank.schemas.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Harness tests of the micro-batching contract: when batches go out, and that nothing stays. */
class BatchScoringOperatorTest {
  /** Counts calls and batch sizes; scores are a function of the ids so order can be checked. */
  static final AtomicInteger OPEN_MODELS = new AtomicInteger();

  static final List<Integer> BATCHES = java.util.Collections.synchronizedList(new ArrayList<>());

  static ModelProvider arithmeticModel() {
    return maxBatch ->
        new ScoringModel() {
          {
            OPEN_MODELS.incrementAndGet();
          }

          @Override
          public String version() {
            return "v-test";
          }

          @Override
          public void score(long[] users, long[] movies, int n, float[] out) {
            assertThat(n).isBetween(1, maxBatch);
            BATCHES.add(n);
            for (int i = 0; i < n; i++) {
              out[i] = users[i] + movies[i] / 1000f;
            }
          }

          @Override
          public void close() {
            OPEN_MODELS.decrementAndGet();
          }
        };
  }

  static Event event(int i) {
    return Event.newBuilder()
        .setEventId("e" + i)
        .setUserId(i)
        .setMovieId(100 + i)
        .setTimestamp(1_000L * i)
        .build();
  }

  private OneInputStreamOperatorTestHarness<Event, Prediction> harness(int batch, long flushMs)
      throws Exception {
    BATCHES.clear();
    var h =
        new OneInputStreamOperatorTestHarness<>(
            new BatchScoringOperator(arithmeticModel(), batch, flushMs));
    h.setProcessingTime(0);
    h.open();
    return h;
  }

  private static List<Prediction> predictions(
      OneInputStreamOperatorTestHarness<Event, Prediction> h) {
    return h.extractOutputValues();
  }

  @Test
  void fullBatchGoesOutAtOnceInOrderWithVersionAndTimes() throws Exception {
    try (var h = harness(4, 50)) {
      h.setProcessingTime(7);
      for (int i = 0; i < 4; i++) {
        h.processElement(new StreamRecord<>(event(i)));
      }
      List<Prediction> out = predictions(h);
      assertThat(out).extracting(Prediction::getEventId).containsExactly("e0", "e1", "e2", "e3");
      assertThat(out)
          .extracting(Prediction::getScore)
          .containsExactly(0.1f, 1.101f, 2.102f, 3.103f);
      assertThat(out).allSatisfy(p -> assertThat(p.getModelVersion()).isEqualTo("v-test"));
      assertThat(out).allSatisfy(p -> assertThat(p.getIngestTime()).isEqualTo(7L));
      assertThat(out.get(3).getEventTimestamp()).isEqualTo(3_000L);
      assertThat(BATCHES).containsExactly(4);
    }
  }

  @Test
  void partialBatchWaitsForTheFlushIntervalThenGoesOut() throws Exception {
    try (var h = harness(100, 50)) {
      h.processElement(new StreamRecord<>(event(1)));
      h.processElement(new StreamRecord<>(event(2)));
      h.setProcessingTime(49);
      assertThat(predictions(h)).isEmpty();
      h.setProcessingTime(50);
      assertThat(predictions(h)).hasSize(2);
      assertThat(predictions(h).get(0).getScoredTime()).isEqualTo(50L);
      assertThat(BATCHES).containsExactly(2);
    }
  }

  @Test
  void checkpointBarrierFlushesSoNothingIsBufferedInAFinishedCheckpoint() throws Exception {
    try (var h = harness(100, 10_000)) {
      h.processElement(new StreamRecord<>(event(1)));
      h.prepareSnapshotPreBarrier(1L);
      assertThat(predictions(h)).hasSize(1);
      h.snapshot(1L, 1L);
      assertThat(((BatchScoringOperator) h.getOperator()).pendingCount()).isZero();
    }
  }

  @Test
  void endOfInputFlushesAndCloseReleasesTheModel() throws Exception {
    int before = OPEN_MODELS.get();
    var h = harness(100, 10_000);
    assertThat(OPEN_MODELS.get()).isEqualTo(before + 1);
    for (int i = 0; i < 3; i++) {
      h.processElement(new StreamRecord<>(event(i)));
    }
    h.endInput();
    h.close();
    assertThat(predictions(h)).hasSize(3);
    assertThat(OPEN_MODELS.get()).isEqualTo(before);
  }
}
