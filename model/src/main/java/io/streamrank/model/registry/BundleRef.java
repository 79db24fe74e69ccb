package io.streamrank.model.registry;

import java.net.URI;

/**
 * Where a published bundle lives.
 *
 * @param version the model version (the bundle directory's name)
 * @param uri the bundle directory
 * @param sha256 hex sha256 of its {@code model.onnx}
 */
public record BundleRef(String version, URI uri, String sha256) {}
