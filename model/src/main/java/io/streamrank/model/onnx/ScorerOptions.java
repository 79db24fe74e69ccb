package io.streamrank.model.onnx;

import java.util.Objects;

/**
 * How an {@link OnnxScorer} runs.
 *
 * @param device CPU, CUDA or AUTO
 * @param intraOpThreads ONNX Runtime threads per run, {@code >= 1}
 * @param maxBatchSize rows per ONNX Runtime run; larger calls are split, {@code >= 1}
 */
public record ScorerOptions(Device device, int intraOpThreads, int maxBatchSize) {
  /** Checks the values. */
  public ScorerOptions {
    Objects.requireNonNull(device, "device");
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
    }
  }

  /** CPU, one intra-op thread, batches of up to 1024 rows. */
  public static ScorerOptions defaults() {
    return new ScorerOptions(Device.CPU, 1, 1024);
  }

  /** These options on another device. */
  public ScorerOptions withDevice(Device d) {
    return new ScorerOptions(d, intraOpThreads, maxBatchSize);
  }
}
