package io.streamrank.model.registry;

import java.net.URI;

/**
 * A bundle read back from the registry and verified (checksum, size, ONNX parse, signature, no
 * external data).
 *
 * @param version the model version
 * @param uri the bundle directory
 * @param manifest the parsed {@code manifest.json}
 * @param onnx the bytes of {@code model.onnx} (not copied: do not modify)
 */
public record LoadedBundle(String version, URI uri, Manifest manifest, byte[] onnx) {
  /** A reference to this bundle. */
  public BundleRef ref() {
    return new BundleRef(version, uri, manifest.modelSha256());
  }
}
