package io.streamrank.streaming;

import io.streamrank.model.onnx.Device;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.onnx.SharedScorers;
import io.streamrank.model.registry.LoadedBundle;
import io.streamrank.model.registry.ModelRegistry;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;

/**
 * Opens a model version from the registry on the TaskManager: the bundle is read and verified
 * (checksum, signature) there, and the operator instances of one JVM share one ONNX Runtime session
 * through {@link SharedScorers}.
 */
public final class RegistryModelProvider implements ModelProvider {
  private static final long serialVersionUID = 1L;

  private final String registryUri;
  private final String version;
  private final Device device;
  private final int intraOpThreads;

  /**
   * @param registryUri registry directory (file://, s3://, hdfs://)
   * @param version version to serve, or null for the registry's latest at open time
   * @param device ONNX Runtime device
   * @param intraOpThreads ONNX Runtime threads per session
   */
  public RegistryModelProvider(
      String registryUri, String version, Device device, int intraOpThreads) {
    if (registryUri == null || registryUri.isBlank()) {
      throw new IllegalArgumentException(
          "setting " + ScoringOptions.REGISTRY.key() + " is required");
    }
    this.registryUri = registryUri;
    this.version = version;
    this.device = device;
    this.intraOpThreads = intraOpThreads;
  }

  /** The provider the job's settings describe. */
  public static RegistryModelProvider fromConfig(Configuration conf) {
    ScoringOptions.validate(conf);
    return new RegistryModelProvider(
        conf.get(ScoringOptions.REGISTRY),
        conf.get(ScoringOptions.MODEL_VERSION),
        Device.valueOf(conf.get(ScoringOptions.DEVICE).toUpperCase(Locale.ROOT)),
        conf.get(ScoringOptions.INTRA_OP_THREADS));
  }

  @Override
  public ScoringModel open(int maxBatchSize) throws java.io.IOException {
    ModelRegistry registry = new ModelRegistry(registryUri);
    String v =
        version != null
            ? version
            : registry
                .latest()
                .orElseThrow(
                    () -> new IllegalStateException("model registry " + registryUri + " is empty"));
    LoadedBundle bundle = registry.load(v);
    SharedScorers.Handle handle =
        SharedScorers.acquire(
            bundle.manifest().modelSha256(),
            bundle::onnx,
            new ScorerOptions(device, intraOpThreads, maxBatchSize));
    return new SharedScoringModel(v, handle);
  }

  /** A version served through a shared ONNX Runtime session. */
  private static final class SharedScoringModel implements ScoringModel {
    private final String version;
    private final SharedScorers.Handle handle;
    private final OnnxScorer scorer;

    SharedScoringModel(String version, SharedScorers.Handle handle) {
      this.version = version;
      this.handle = handle;
      this.scorer = handle.scorer();
    }

    @Override
    public String version() {
      return version;
    }

    @Override
    public void score(long[] users, long[] movies, int n, float[] out) {
      scorer.score(users, movies, null, n, out);
    }

    @Override
    public void close() {
      handle.close();
    }
  }
}
