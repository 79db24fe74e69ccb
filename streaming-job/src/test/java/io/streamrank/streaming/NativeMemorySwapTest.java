package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.onnx.SharedScorers;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50 consecutive swaps through the real operator, real registry and real ONNX Runtime sessions: the
 * process's resident memory after the last swap stays within 5% of where it stood after the first.
 * A session, tensor or result left unclosed leaks native memory that the JVM's GC never returns, so
 * this catches it.
 */
class NativeMemorySwapTest {
  static final int SWAPS = 50;

  /** Swaps before the baseline, so JIT, class loading and heap sizing have settled. */
  static final int WARM_UP = 5;

  @Test
  void fiftySwapsLeaveResidentMemoryFlat(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc/self/status");
    Split split =
        Splits.byTime(
            new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(20_000))
                .generate()
                .ratings());
    // Seed-sized layers so a leaked session would be visible: 32-dim embeddings, 256 and 64.
    ModelConfig cfg =
        ModelConfig.builder().embeddingDim(32).hiddenLayers(256, 64).epochs(1).seed(1).build();
    RankingModel model =
        new Trainer().train(split.train(), split.valid(), cfg, TrainingListener.NONE);
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    int total = WARM_UP + SWAPS;
    ModelUpdate[] updates = new ModelUpdate[total + 1];
    for (int i = 0; i <= total; i++) {
      // The version is in the ONNX metadata, so every bundle is a distinct file and session.
      String version = String.format("v%03d", i);
      BundleRef ref =
          Bundles.exportAndPublish(registry, model, version, null, split.valid(), Map.of());
      Manifest m = registry.load(version).manifest();
      updates[i] =
          ModelUpdate.newBuilder()
              .setVersion(version)
              .setBundleUri(ref.uri().toString())
              .setSha256(ref.sha256())
              .setCreatedAt(Instant.parse(m.createdAt()).toEpochMilli() + i)
              .build();
    }
    RegistryModelProvider provider =
        new RegistryModelProvider(dir.toUri().toString(), "v000", Device.CPU, 1);
    long afterFirst = 0;
    try (var h =
        new TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction>(
            new BatchScoringOperator(provider, 256, 20, 0.0))) {
      h.open();
      long t = 0;
      for (int i = 1; i <= total; i++) {
        h.processElement2(new StreamRecord<>(updates[i]));
        var op = (BatchScoringOperator) h.getOperator();
        while (op.isLoading()) {
          Thread.sleep(2);
          h.setProcessingTime(t += 25);
        }
        for (int k = 0; k < 512; k++) {
          h.processElement1(
              new StreamRecord<>(
                  ScoringRequest.of(
                      Event.newBuilder()
                          .setEventId(i + "-" + k)
                          .setUserId(k % 900)
                          .setMovieId(k % 1600)
                          .setTimestamp(k)
                          .build())));
        }
        assertThat(op.servingVersion()).isEqualTo(updates[i].getVersion());
        if (i == WARM_UP + 1) {
          afterFirst = residentKb();
        }
      }
      assertThat(SharedScorers.openSessions()).isEqualTo(1);
    }
    long afterLast = residentKb();
    double growth = (double) (afterLast - afterFirst) / afterFirst;
    System.out.printf(
        "native memory: RSS after the first measured swap %d kB, after %d more %d kB (%+.2f%%)%n",
        afterFirst, SWAPS - 1, afterLast, 100 * growth);
    assertThat(growth).as("RSS growth over %d swaps", SWAPS).isLessThan(0.05);
    // The heap is fixed and pre-touched, so also bound the absolute growth: well under one
    // leaked session per swap.
    assertThat(afterLast - afterFirst).as("RSS growth in kB").isLessThan(32 * 1024);
    assertThat(SharedScorers.openSessions()).isZero();
  }

  private static long residentKb() throws Exception {
    System.gc();
    Thread.sleep(100);
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
