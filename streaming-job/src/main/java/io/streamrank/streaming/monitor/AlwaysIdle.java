package io.streamrank.streaming.monitor;

import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Watermarks of a stream that has no event time of its own: it is marked idle, so it never holds
 * back the watermark of an operator it is merged into, and its records still pass. The scoring
 * operator's swap reports are such a stream: they happen at processing time, and without this the
 * retrain trigger, which orders window reports by event time, would wait on them forever.
 */
final class AlwaysIdle<T> implements WatermarkGenerator<T> {
  @Override
  public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
    output.markIdle();
  }

  @Override
  public void onPeriodicEmit(WatermarkOutput output) {
    output.markIdle();
  }
}
