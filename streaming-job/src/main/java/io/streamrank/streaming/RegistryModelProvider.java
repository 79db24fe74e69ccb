package io.streamrank.streaming;

import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.onnx.ModelValidationException;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.onnx.SharedScorers;
import io.streamrank.model.registry.GoldenRow;
import io.streamrank.model.registry.LoadedBundle;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.streaming.monitor.MonitorReference;
import io.streamrank.streaming.monitor.ReferenceSource;
import java.net.URI;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * Opens model versions from the registry on the TaskManager. Each bundle is read and verified there
 * (size, sha256 against the manifest and against the announcement, ONNX validity, no external data,
 * input/output signature, golden rows reproduced with finite outputs), and the operator instances
 * of one JVM share one ONNX Runtime session through {@link SharedScorers}. It also gives the
 * monitors each version's reference, read from the manifest alone.
 *
 * <p>Features: the job either attaches streaming features to every request or none. A version whose
 * signature does not match (a model with a features input on a job without features, or the other
 * way round), or whose manifest names another feature definition than the job computes, is rejected
 * with the reason.
 */
public final class RegistryModelProvider implements ModelProvider, ReferenceSource {
  private static final long serialVersionUID = 1L;

  /** How far ONNX Runtime may stray from the trainer's golden scores. */
  static final float GOLDEN_TOLERANCE = 1e-3f;

  /**
   * Bundles being read in this JVM, by URI. An announcement reaches every operator instance at
   * about the same moment, and each read hashes and parses the whole bundle on cores the stream is
   * using, so the instances of one JVM share one read; an instance that asks after it ended reads
   * again.
   */
  private static final SharedReads<URI, LoadedBundle> READS = new SharedReads<>();

  /** Versions whose monitoring references this JVM keeps from their loads. */
  static final int LOADED_REFERENCES = 16;

  /**
   * The monitoring references of the versions this JVM loaded, by registry and version, newest
   * last. The monitors chained to the scoring operator meet a new version with its first
   * predictions, right after the swap; reading its manifest there (tens of ms) would stall the
   * scoring thread. The load, off that thread, already holds the manifest.
   */
  private static final Map<String, MonitorReference> REFERENCES =
      Collections.synchronizedMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, MonitorReference> eldest) {
              return size() > LOADED_REFERENCES;
            }
          });

  private final String registryUri;
  private final String initialVersion;
  private final Device device;
  private final int intraOpThreads;
  private final StreamingFeatures features;

  /**
   * @param registryUri registry directory (file://, s3://, hdfs://)
   * @param initialVersion version to serve at start, or null for the registry's latest then
   * @param device ONNX Runtime device
   * @param intraOpThreads ONNX Runtime threads per session
   */
  public RegistryModelProvider(
      String registryUri, String initialVersion, Device device, int intraOpThreads) {
    this(registryUri, initialVersion, device, intraOpThreads, null);
  }

  /**
   * @param registryUri registry directory (file://, s3://, hdfs://)
   * @param initialVersion version to serve at start, or null for the registry's latest then
   * @param device ONNX Runtime device
   * @param intraOpThreads ONNX Runtime threads per session
   * @param features the streaming features the job attaches to requests, or null for none
   */
  public RegistryModelProvider(
      String registryUri,
      String initialVersion,
      Device device,
      int intraOpThreads,
      StreamingFeatures features) {
    if (registryUri == null || registryUri.isBlank()) {
      throw new IllegalArgumentException(
          "setting " + ScoringOptions.REGISTRY.key() + " is required");
    }
    this.registryUri = registryUri;
    this.initialVersion = initialVersion;
    this.device = device;
    this.intraOpThreads = intraOpThreads;
    this.features = features;
  }

  /** The provider the job's settings describe. */
  public static RegistryModelProvider fromConfig(Configuration conf) {
    ScoringOptions.validate(conf);
    return new RegistryModelProvider(
        conf.get(ScoringOptions.REGISTRY),
        conf.get(ScoringOptions.MODEL_VERSION),
        Device.valueOf(conf.get(ScoringOptions.DEVICE).toUpperCase(Locale.ROOT)),
        conf.get(ScoringOptions.INTRA_OP_THREADS),
        conf.get(ScoringOptions.FEATURES_ENABLED) ? StreamingFeatures.DEFAULT : null);
  }

  /**
   * The version's reference for the monitors: kept from its load when this JVM loaded it, else read
   * from its manifest (not its model); none for the outcomes of ratings that matched no prediction.
   */
  @Override
  public MonitorReference reference(String version) throws java.io.IOException {
    if (ModelRegistry.UNMATCHED_VERSION.equals(version)) {
      return null;
    }
    MonitorReference loaded = REFERENCES.get(referenceKey(version));
    return loaded != null
        ? loaded
        : MonitorReference.of(new ModelRegistry(registryUri).manifest(version));
  }

  private String referenceKey(String version) {
    return registryUri + "\n" + version;
  }

  @Override
  public ScoringModel openInitial(int maxBatchSize) throws Exception {
    ModelRegistry registry = new ModelRegistry(registryUri);
    String v =
        initialVersion != null
            ? initialVersion
            : registry
                .latest()
                .orElseThrow(
                    () -> new IllegalStateException("model registry " + registryUri + " is empty"));
    try {
      return open(registry.load(v), null, maxBatchSize);
    } catch (ModelValidationException e) {
      throw new ModelRejectedException(
          "initial version " + v + " in " + registryUri + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ScoringModel open(ModelUpdate announcement, int maxBatchSize) throws Exception {
    LoadedBundle bundle;
    try {
      URI uri = URI.create(announcement.getBundleUri());
      bundle = READS.get(uri, () -> new ModelRegistry(registryUri).load(uri));
      return open(bundle, announcement, maxBatchSize);
    } catch (ModelValidationException e) {
      throw new ModelRejectedException(e.getMessage(), e);
    } catch (java.io.IOException e) {
      throw new ModelRejectedException(
          "cannot read bundle " + announcement.getBundleUri() + ": " + e, e);
    }
  }

  private ScoringModel open(LoadedBundle bundle, ModelUpdate announcement, int maxBatchSize)
      throws ModelRejectedException {
    Manifest manifest = bundle.manifest();
    if (announcement != null) {
      if (!announcement.getVersion().equals(bundle.version())) {
        throw new ModelRejectedException(
            "announced version "
                + announcement.getVersion()
                + " but the bundle is "
                + bundle.version());
      }
      if (!announcement.getSha256().equalsIgnoreCase(manifest.modelSha256())) {
        throw new ModelRejectedException(
            "announced sha256 "
                + announcement.getSha256()
                + " but the bundle's model.onnx has "
                + manifest.modelSha256());
      }
    }
    SharedScorers.Handle handle =
        SharedScorers.acquire(
            manifest.modelSha256(),
            bundle::onnx,
            new ScorerOptions(device, intraOpThreads, maxBatchSize));
    try {
      OnnxScorer scorer = handle.scorer();
      checkFeatures(scorer, manifest);
      manifest.checkGolden(scorer, GOLDEN_TOLERANCE);
      // Once per JVM: the other instances loading the same version find it.
      REFERENCES.computeIfAbsent(
          referenceKey(bundle.version()), k -> MonitorReference.of(manifest));
      return new SharedScoringModel(
          bundle, handle, gateRows(manifest.golden(), scorer.numFeatures()));
    } catch (ModelValidationException e) {
      handle.close();
      throw new ModelRejectedException("golden set: " + e.getMessage(), e);
    } catch (ModelRejectedException | RuntimeException e) {
      handle.close();
      throw e;
    }
  }

  /** Rejects a model whose features are not the ones the job attaches. */
  private void checkFeatures(OnnxScorer scorer, Manifest manifest) throws ModelRejectedException {
    int f = scorer.numFeatures();
    String enabled = ScoringOptions.FEATURES_ENABLED.key();
    if (features == null && f != 0) {
      throw new ModelRejectedException(
          "signature: the job attaches no streaming features ("
              + enabled
              + "=false), the model expects "
              + f
              + " features; found "
              + scorer.signature());
    }
    if (features == null) {
      return;
    }
    if (f != StreamingFeatures.COUNT) {
      throw new ModelRejectedException(
          "signature: the job attaches the "
              + StreamingFeatures.COUNT
              + " streaming features "
              + StreamingFeatures.NAMES
              + " ("
              + enabled
              + "=true), the model expects "
              + f
              + "; found "
              + scorer.signature());
    }
    if (manifest.features() == null) {
      throw new ModelRejectedException(
          "features: the manifest does not say which feature definition the model was trained"
              + " with; the job computes "
              + features.toMap());
    }
    StreamingFeatures trained;
    try {
      trained = StreamingFeatures.fromMap(manifest.features());
    } catch (IllegalArgumentException e) {
      throw new ModelRejectedException("features: " + e.getMessage(), e);
    }
    if (!trained.equals(features)) {
      throw new ModelRejectedException(
          "features: the model was trained with "
              + trained.toMap()
              + ", the job computes "
              + features.toMap());
    }
  }

  /** The labelled golden rows; rows for unknown ids carry no rating and are not used. */
  private static GateRows gateRows(List<GoldenRow> golden, int numFeatures) {
    List<GoldenRow> labelled = golden.stream().filter(g -> g.rating() != null).toList();
    long[] users = new long[labelled.size()];
    long[] movies = new long[labelled.size()];
    float[] ratings = new float[labelled.size()];
    float[] x = new float[labelled.size() * numFeatures];
    for (int i = 0; i < labelled.size(); i++) {
      users[i] = labelled.get(i).userId();
      movies[i] = labelled.get(i).movieId();
      ratings[i] = labelled.get(i).rating();
      System.arraycopy(labelled.get(i).features(), 0, x, i * numFeatures, numFeatures);
    }
    return new GateRows(users, movies, ratings, x, numFeatures);
  }

  /** A version served through a shared ONNX Runtime session. */
  private static final class SharedScoringModel implements ScoringModel {
    private final String version;
    private final String bundleUri;
    private final String sha256;
    private final long createdAt;
    private final SharedScorers.Handle handle;
    private final OnnxScorer scorer;
    private final GateRows gateRows;
    private final Manifest.Vocabulary vocabulary;

    SharedScoringModel(LoadedBundle bundle, SharedScorers.Handle handle, GateRows gateRows) {
      this.version = bundle.version();
      this.bundleUri = bundle.uri().toString();
      this.sha256 = bundle.manifest().modelSha256();
      this.createdAt = Instant.parse(bundle.manifest().createdAt()).toEpochMilli();
      this.handle = handle;
      this.scorer = handle.scorer();
      this.gateRows = gateRows;
      this.vocabulary = bundle.manifest().vocabulary();
    }

    @Override
    public String version() {
      return version;
    }

    @Override
    public String bundleUri() {
      return bundleUri;
    }

    @Override
    public String sha256() {
      return sha256;
    }

    @Override
    public long createdAtMillis() {
      return createdAt;
    }

    @Override
    public GateRows gateRows() {
      return gateRows;
    }

    @Override
    public boolean knowsUser(long userId) {
      // Bundles from before the vocabulary was recorded cannot tell: count them as known.
      return vocabulary == null || vocabulary.knowsUser(userId);
    }

    @Override
    public boolean knowsMovie(long movieId) {
      return vocabulary == null || vocabulary.knowsMovie(movieId);
    }

    @Override
    public int numFeatures() {
      return scorer.numFeatures();
    }

    @Override
    public void score(long[] users, long[] movies, int n, float[] out) {
      if (scorer.numFeatures() != 0) {
        throw new IllegalStateException(
            "version " + version + " takes " + scorer.numFeatures() + " features per row");
      }
      scorer.score(users, movies, null, n, out);
    }

    @Override
    public void score(long[] users, long[] movies, float[] features, int n, float[] out) {
      scorer.score(users, movies, scorer.numFeatures() == 0 ? null : features, n, out);
    }

    @Override
    public void close() {
      handle.close();
    }
  }
}
