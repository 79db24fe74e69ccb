package io.streamrank.streaming;

import io.streamrank.schemas.Event;
import io.streamrank.schemas.Prediction;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Scores events in micro-batches: a batch goes to the model when it is full or when its oldest
 * event has waited the flush interval. The buffer is emptied before every checkpoint barrier and at
 * end of input, so it never needs to be in state and no event is lost on restore: an event is
 * either scored before the checkpoint or replayed from the source after it.
 */
public final class BatchScoringOperator extends AbstractStreamOperator<Prediction>
    implements OneInputStreamOperator<Event, Prediction>, ProcessingTimeCallback {
  private static final long serialVersionUID = 1L;

  private final ModelProvider modelProvider;
  private final int batchSize;
  private final long flushIntervalMs;

  private transient ScoringModel model;
  private transient Event[] pending;
  private transient long[] ingestTimes;
  private transient long[] users;
  private transient long[] movies;
  private transient float[] scores;
  private transient int size;
  private transient boolean timerSet;
  private transient Counter batches;
  private transient Counter predictions;

  public BatchScoringOperator(ModelProvider modelProvider, int batchSize, long flushIntervalMs) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
    }
    if (flushIntervalMs <= 0) {
      throw new IllegalArgumentException("flush interval must be > 0 ms, got " + flushIntervalMs);
    }
    this.modelProvider = modelProvider;
    this.batchSize = batchSize;
    this.flushIntervalMs = flushIntervalMs;
  }

  @Override
  public void open() throws Exception {
    super.open();
    pending = new Event[batchSize];
    ingestTimes = new long[batchSize];
    users = new long[batchSize];
    movies = new long[batchSize];
    scores = new float[batchSize];
    model = modelProvider.open(batchSize);
    batches = getMetricGroup().counter("scoringBatches");
    predictions = getMetricGroup().counter("predictions");
    LOG.info("Scoring with model version {}, batch size {}", model.version(), batchSize);
  }

  @Override
  public void processElement(StreamRecord<Event> element) {
    Event e = element.getValue();
    pending[size] = e;
    ingestTimes[size] = getProcessingTimeService().getCurrentProcessingTime();
    users[size] = e.getUserId();
    movies[size] = e.getMovieId();
    size++;
    if (size == batchSize) {
      flush();
    } else if (!timerSet) {
      timerSet = true;
      getProcessingTimeService().registerTimer(ingestTimes[size - 1] + flushIntervalMs, this);
    }
  }

  @Override
  public void onProcessingTime(long time) {
    timerSet = false;
    flush();
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    flush();
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      if (model != null) {
        model.close();
        model = null;
      }
    } finally {
      super.close();
    }
  }

  /** Number of events waiting for their batch; for tests. */
  int pendingCount() {
    return size;
  }

  private void flush() {
    if (size == 0) {
      return;
    }
    int n = size;
    model.score(users, movies, n, scores);
    long scoredAt = getProcessingTimeService().getCurrentProcessingTime();
    String version = model.version();
    for (int i = 0; i < n; i++) {
      Event e = pending[i];
      pending[i] = null;
      output.collect(
          new StreamRecord<>(
              Prediction.newBuilder()
                  .setEventId(e.getEventId())
                  .setUserId(e.getUserId())
                  .setMovieId(e.getMovieId())
                  .setEventTimestamp(e.getTimestamp())
                  .setScore(scores[i])
                  .setModelVersion(version)
                  .setIngestTime(ingestTimes[i])
                  .setScoredTime(scoredAt)
                  .build()));
    }
    size = 0;
    batches.inc();
    predictions.inc(n);
  }
}
