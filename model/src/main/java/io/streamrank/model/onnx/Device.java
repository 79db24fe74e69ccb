package io.streamrank.model.onnx;

/** Where ONNX Runtime runs a model. */
public enum Device {
  /** The CPU execution provider. */
  CPU,
  /** The CUDA execution provider on GPU 0; failing to load it is an error. */
  CUDA,
  /** CUDA when its provider loads, otherwise CPU; the log says which is active. */
  AUTO
}
