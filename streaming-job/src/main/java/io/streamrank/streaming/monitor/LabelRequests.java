package io.streamrank.streaming.monitor;

import io.streamrank.schemas.Prediction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Makes the {@link LabelRequest} of each prediction the prequential join is to hold, chained to
 * scoring before the join's shuffle: above the label capacity only the {@link LabelSample}'s
 * predictions are sent, each carrying the fraction it was sampled at, so the others cost neither
 * the shuffle nor the join. Predictions left out are counted ({@code monitor.labels.notHeld}); the
 * fraction is the gauge {@code monitor.labels.sampledFraction}.
 */
public final class LabelRequests extends ProcessFunction<Prediction, LabelRequest> {
  private static final long serialVersionUID = 1L;

  private final LabelSample sample;
  private transient Counter notHeld;

  /**
   * @param capacity predictions each subtask of the join holds, about (the join runs at this
   *     operator's parallelism)
   * @param labelTimeoutMs event time a prediction waits for its rating
   */
  public LabelRequests(long capacity, long labelTimeoutMs) {
    // Each subtask gets its own copy when the function is deployed.
    this.sample = new LabelSample(capacity, labelTimeoutMs);
  }

  @Override
  public void open(OpenContext openContext) {
    var group = getRuntimeContext().getMetricGroup().addGroup("monitor", "labels");
    notHeld = group.counter("notHeld");
    group.gauge("sampledFraction", () -> sample.fraction());
  }

  @Override
  public void processElement(Prediction p, Context ctx, Collector<LabelRequest> out) {
    if (sample.holdPrediction(p.getEventId(), p.getEventTimestamp())) {
      LabelRequest r = LabelRequest.of(p);
      r.sampledFraction = (float) sample.fraction();
      out.collect(r);
    } else {
      notHeld.inc();
    }
  }
}
