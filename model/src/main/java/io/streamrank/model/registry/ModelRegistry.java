package io.streamrank.model.registry;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.streamrank.model.onnx.ModelSignature;
import io.streamrank.model.onnx.ModelValidationException;
import io.streamrank.model.onnx.SharedScorers;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Model bundles ({@code <base>/<version>/model.onnx} + {@code manifest.json}) on any Flink file
 * system: {@code file://} by default, {@code s3://} or {@code hdfs://} through Flink's file-system
 * plugins.
 *
 * <p>{@link #publish} writes a bundle under a temporary directory name ({@code
 * .tmp-<version>-<uuid>}, model first and manifest last) and then renames it to {@code <version>}.
 * On {@code file://} and HDFS the rename is atomic, so a reader sees a whole bundle or none. On
 * object stores a rename is copy-then-delete; readers are still safe because {@link #load} verifies
 * size and sha256 of the model against the manifest. Publishing a version that exists with the same
 * content is a no-op; with different content it is refused.
 *
 * <p>{@link #load} rejects, with a {@link BundleException} naming the file and the problem: a
 * missing or unparsable manifest, a missing, truncated or corrupt model (size, sha256, protobuf),
 * an ONNX external-data reference, a signature that is not a streamrank scoring signature or
 * differs from the manifest's, and a manifest whose version is not its directory's name.
 */
public final class ModelRegistry {
  /** File name of the model inside a bundle. */
  public static final String MODEL_FILE = "model.onnx";

  /** File name of the manifest inside a bundle. */
  public static final String MANIFEST_FILE = "manifest.json";

  /**
   * A reserved version name: the monitors report ratings that matched no prediction under it, so no
   * bundle may carry it (a model of that name would vanish from the retrain trigger's view).
   */
  public static final String UNMATCHED_VERSION = "unmatched";

  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String TMP_PREFIX = ".tmp-";

  private final Path base;

  /**
   * A registry rooted at a directory URI ({@code file:///var/models}, {@code s3://bucket/models},
   * or a plain local path).
   */
  public ModelRegistry(String baseUri) {
    Objects.requireNonNull(baseUri, "baseUri");
    this.base = new Path(baseUri);
  }

  /** The registry's root. */
  public URI baseUri() {
    return base.toUri();
  }

  /**
   * Publishes a bundle atomically. The manifest's sha256 and size are filled in when absent and
   * checked when present; the bundle is verified as {@link #load} would before anything is written.
   *
   * @throws BundleException when the bundle is invalid or the version exists with other content
   * @throws IOException when the file system fails
   */
  public BundleRef publish(byte[] onnx, Manifest manifest) throws IOException {
    Objects.requireNonNull(onnx, "onnx");
    Objects.requireNonNull(manifest, "manifest");
    String version = manifest.version();
    requireVersionName(version);
    String sha = SharedScorers.sha256(onnx);
    if (manifest.modelSha256() == null) {
      manifest = manifest.withModel(sha, onnx.length);
    }
    Path dir = new Path(base, version);
    verify(dir.toString(), version, manifest.toJson(), onnx);
    FileSystem fs = base.getFileSystem();
    if (fs.exists(dir)) {
      return sameOrConflict(dir, manifest, onnx);
    }
    fs.mkdirs(base);
    Path tmp = new Path(base, TMP_PREFIX + version + "-" + UUID.randomUUID());
    try {
      fs.mkdirs(tmp);
      write(fs, new Path(tmp, MODEL_FILE), onnx);
      write(fs, new Path(tmp, MANIFEST_FILE), manifest.toJson());
      if (!fs.rename(tmp, dir)) {
        // Lost a race with another publisher of the same version (or the rename is unsupported).
        if (fs.exists(dir)) {
          return sameOrConflict(dir, manifest, onnx);
        }
        throw new IOException("cannot rename " + tmp + " to " + dir);
      }
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, true);
      }
    }
    return new BundleRef(version, dir.toUri(), sha);
  }

  private BundleRef sameOrConflict(Path dir, Manifest manifest, byte[] onnx) throws IOException {
    LoadedBundle existing = load(dir.toUri());
    String sha = SharedScorers.sha256(onnx);
    if (existing.manifest().modelSha256().equals(sha)
        && existing.manifest().toJsonTree().equals(manifest.toJsonTree())) {
      return existing.ref();
    }
    throw new BundleException(
        dir.toString(),
        "version "
            + manifest.version()
            + " already exists with different content (model sha256 "
            + existing.manifest().modelSha256()
            + ", publishing "
            + sha
            + "); versions are immutable, publish under a new version");
  }

  /** Loads and verifies {@code <base>/<version>/}. */
  public LoadedBundle load(String version) throws IOException {
    requireVersionName(version);
    return load(new Path(base, version), version);
  }

  /**
   * Reads only a version's manifest, without its model; for monitors that need the reference
   * histograms and metrics of the serving version, not the model.
   *
   * @throws BundleException when the manifest is missing or unparsable, or names another version
   */
  public Manifest manifest(String version) throws IOException {
    requireVersionName(version);
    Path file = new Path(new Path(base, version), MANIFEST_FILE);
    byte[] json = readRequired(file.getFileSystem(), file);
    Manifest m;
    try {
      m = Manifest.fromJson(json);
    } catch (IOException e) {
      throw new BundleException(file.toString(), "unparsable manifest: " + e.getMessage(), e);
    }
    if (!version.equals(m.version())) {
      throw new BundleException(
          file.toString(), "declares version " + m.version() + ", expected " + version);
    }
    return m;
  }

  /** Loads and verifies a bundle directory anywhere (its name must be its version). */
  public LoadedBundle load(URI bundleDir) throws IOException {
    Path dir = new Path(bundleDir);
    return load(dir, dir.getName());
  }

  private LoadedBundle load(Path dir, String dirName) throws IOException {
    FileSystem fs = dir.getFileSystem();
    String where = dir.toString();
    if (!fs.exists(dir)) {
      throw new BundleException(where, "no such bundle directory");
    }
    byte[] manifestBytes = readRequired(fs, new Path(dir, MANIFEST_FILE));
    byte[] onnx = readRequired(fs, new Path(dir, MODEL_FILE));
    Manifest manifest = verify(where, dirName, manifestBytes, onnx);
    return new LoadedBundle(manifest.version(), dir.toUri(), manifest, onnx);
  }

  /**
   * Verifies a bundle's two files without a file system (for bundles that arrive another way).
   *
   * @param where names the bundle in messages
   * @param expectedVersion the version the bundle must declare, or null to accept any
   * @return the parsed manifest
   * @throws BundleException naming the file and the problem
   */
  public static Manifest verify(
      String where, String expectedVersion, byte[] manifestJson, byte[] onnx) {
    String manifestFile = where + "/" + MANIFEST_FILE;
    String modelFile = where + "/" + MODEL_FILE;
    Manifest manifest;
    try {
      manifest = Manifest.fromJson(manifestJson);
    } catch (IOException | RuntimeException e) {
      throw new BundleException(manifestFile, "not a valid manifest: " + e.getMessage(), e);
    }
    if (manifest.formatVersion() != Manifest.FORMAT_VERSION) {
      throw new BundleException(
          manifestFile,
          "format_version is "
              + manifest.formatVersion()
              + ", expected "
              + Manifest.FORMAT_VERSION);
    }
    if (expectedVersion != null && !expectedVersion.equals(manifest.version())) {
      throw new BundleException(
          manifestFile,
          "declares version '"
              + manifest.version()
              + "' but the bundle is '"
              + expectedVersion
              + "'");
    }
    if (manifest.modelSha256() == null) {
      throw new BundleException(manifestFile, "has no model_sha256");
    }
    if (onnx.length != manifest.modelSizeBytes()) {
      throw new BundleException(
          modelFile,
          "has "
              + onnx.length
              + " bytes, "
              + MANIFEST_FILE
              + " says "
              + manifest.modelSizeBytes()
              + (onnx.length < manifest.modelSizeBytes() ? " (truncated)" : " (wrong file)"));
    }
    String sha = SharedScorers.sha256(onnx);
    if (!sha.equalsIgnoreCase(manifest.modelSha256())) {
      throw new BundleException(
          modelFile,
          "sha256 is "
              + sha
              + ", "
              + MANIFEST_FILE
              + " says "
              + manifest.modelSha256()
              + " (corrupt or replaced)");
    }
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(onnx);
    } catch (InvalidProtocolBufferException e) {
      throw new BundleException(
          modelFile, "is not a valid ONNX protobuf (truncated or corrupt): " + e.getMessage(), e);
    }
    if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
      throw new BundleException(modelFile, "is not an ONNX model: it has no graph");
    }
    List<String> external = new ArrayList<>();
    findExternalData(proto.getGraph(), external);
    if (!external.isEmpty()) {
      throw new BundleException(
          modelFile,
          "references ONNX external data ("
              + String.join(", ", external)
              + "); bundles must be self-contained");
    }
    ModelSignature found = ModelSignature.of(proto);
    try {
      found.requireScoring(modelFile);
    } catch (ModelValidationException e) {
      throw new BundleException(modelFile, e.getMessage().substring(modelFile.length() + 2), e);
    }
    if (!found.equals(manifest.signature())) {
      throw new BundleException(
          modelFile,
          "signature is " + found + " but " + MANIFEST_FILE + " says " + manifest.signature());
    }
    return manifest;
  }

  private static void findExternalData(GraphProto g, List<String> found) {
    for (TensorProto t : g.getInitializerList()) {
      checkTensor(t, "initializer", found);
    }
    for (SparseTensorProto s : g.getSparseInitializerList()) {
      checkTensor(s.getValues(), "sparse initializer", found);
      checkTensor(s.getIndices(), "sparse initializer", found);
    }
    for (NodeProto n : g.getNodeList()) {
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasT()) {
          checkTensor(a.getT(), "attribute of node '" + n.getName() + "'", found);
        }
        for (TensorProto t : a.getTensorsList()) {
          checkTensor(t, "attribute of node '" + n.getName() + "'", found);
        }
        if (a.hasG()) {
          findExternalData(a.getG(), found);
        }
        for (GraphProto sub : a.getGraphsList()) {
          findExternalData(sub, found);
        }
      }
    }
  }

  private static void checkTensor(TensorProto t, String kind, List<String> found) {
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
      String location =
          t.getExternalDataList().stream()
              .filter(e -> e.getKey().equals("location"))
              .map(e -> " -> " + e.getValue())
              .findFirst()
              .orElse("");
      found.add(kind + " '" + t.getName() + "'" + location);
    }
  }

  /** The published versions, in name order (temporary directories excluded). */
  public List<String> versions() throws IOException {
    FileSystem fs = base.getFileSystem();
    if (!fs.exists(base)) {
      return List.of();
    }
    FileStatus[] entries = fs.listStatus(base);
    List<String> out = new ArrayList<>();
    if (entries != null) {
      for (FileStatus s : entries) {
        String name = s.getPath().getName();
        if (s.isDir() && VERSION.matcher(name).matches()) {
          out.add(name);
        }
      }
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  /**
   * The most recently created version: largest manifest {@code created_at}, ties broken by name.
   * Directories whose manifest cannot be read are skipped.
   */
  public Optional<String> latest() throws IOException {
    FileSystem fs = base.getFileSystem();
    String best = null;
    Instant bestAt = null;
    for (String v : versions()) {
      Instant at;
      try {
        at =
            Instant.parse(
                Manifest.fromJson(read(fs, new Path(new Path(base, v), MANIFEST_FILE)))
                    .createdAt());
      } catch (IOException | RuntimeException e) {
        continue;
      }
      if (bestAt == null || at.compareTo(bestAt) >= 0) {
        best = v;
        bestAt = at;
      }
    }
    return Optional.ofNullable(best);
  }

  private static void requireVersionName(String version) {
    if (version == null || !VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException(
          "version must match "
              + VERSION.pattern()
              + " (it names a directory), got '"
              + version
              + "'");
    }
    if (UNMATCHED_VERSION.equals(version)) {
      throw new IllegalArgumentException(
          "version '" + UNMATCHED_VERSION + "' is reserved for ratings that match no prediction");
    }
  }

  private static void write(FileSystem fs, Path p, byte[] bytes) throws IOException {
    try (OutputStream out = fs.create(p, FileSystem.WriteMode.NO_OVERWRITE)) {
      out.write(bytes);
    }
  }

  private static byte[] readRequired(FileSystem fs, Path p) throws IOException {
    if (!fs.exists(p)) {
      throw new BundleException(p.toString(), "missing");
    }
    try {
      return read(fs, p);
    } catch (FileNotFoundException e) {
      throw new BundleException(p.toString(), "missing", e);
    }
  }

  private static byte[] read(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
