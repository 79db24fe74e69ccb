package io.streamrank.local;

import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.LoadedBundle;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./streamrank publish} and {@code ./streamrank rollback}: put a version into service. */
final class PublishCommands {
  private PublishCommands() {}

  /** Options shared by both commands. */
  static class Target {
    @Option(
        names = "--registry",
        required = true,
        description =
            "Model registry the scoring job reads (directory or file://, s3://, hdfs:// URI).")
    String registry;

    @Option(
        names = "--bootstrap-servers",
        required = true,
        description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix of the topic names.")
    String prefix;

    ModelRegistry registry() {
      String uri =
          registry.contains("://")
              ? registry
              : Path.of(registry).toAbsolutePath().toUri().toString();
      return new ModelRegistry(uri);
    }
  }

  @Command(
      name = "publish",
      mixinStandardHelpOptions = true,
      description = {
        "Registers a bundle trained elsewhere (a directory with model.onnx and manifest.json) and"
            + " announces it on model-updates.",
        "The bundle is verified first (size, sha256, ONNX validity, no external data, signature);"
            + " the running job verifies it again and runs its gate before it swaps."
      })
  static final class Publish extends Target implements Callable<Integer> {
    @Option(
        names = "--bundle",
        required = true,
        paramLabel = "DIR",
        description = "Bundle directory.")
    Path bundle;

    @Option(
        names = "--shadow",
        description =
            "Ask for a shadow trial: the job scores the version beside the serving one and promotes"
                + " it only if it wins on labelled events (streamrank.shadow.* settings).")
    boolean shadow;

    @Override
    public Integer call() throws Exception {
      Path manifestFile = bundle.resolve(ModelRegistry.MANIFEST_FILE);
      Path modelFile = bundle.resolve(ModelRegistry.MODEL_FILE);
      for (Path f : new Path[] {manifestFile, modelFile}) {
        if (!Files.isRegularFile(f)) {
          throw new IllegalArgumentException("bundle " + bundle + " has no " + f.getFileName());
        }
      }
      byte[] onnx = Files.readAllBytes(modelFile);
      Manifest manifest =
          ModelRegistry.verify(bundle.toString(), null, Files.readAllBytes(manifestFile), onnx);
      BundleRef ref = registry().publish(onnx, manifest);
      try (ModelAnnouncer a = new ModelAnnouncer(bootstrap, Topics.withPrefix(prefix))) {
        a.announce(
            ModelUpdate.newBuilder(ModelAnnouncer.announcement(ref, manifest, false))
                .setShadow(shadow)
                .build());
      }
      System.out.printf(
          "published %s to %s and announced it%s%n",
          ref.version(), ref.uri(), shadow ? " for a shadow trial" : "");
      return 0;
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description =
          "Announces an earlier registry version as an explicit rollback; the running job swaps"
              + " back to it even though it is older than the serving version.")
  static final class Rollback extends Target implements Callable<Integer> {
    @Option(
        names = "--version",
        required = true,
        paramLabel = "V",
        description = "Version to serve again.")
    String version;

    @Override
    public Integer call() throws Exception {
      ModelRegistry registry = registry();
      if (!registry.versions().contains(version)) {
        throw new IllegalArgumentException(
            "version "
                + version
                + " is not in "
                + registry.baseUri()
                + "; it has "
                + registry.versions());
      }
      LoadedBundle b = registry.load(version);
      try (ModelAnnouncer a = new ModelAnnouncer(bootstrap, Topics.withPrefix(prefix))) {
        a.announce(ModelAnnouncer.announcement(b.ref(), b.manifest(), true));
      }
      System.out.printf("announced rollback to %s%n", version);
      return 0;
    }
  }
}
