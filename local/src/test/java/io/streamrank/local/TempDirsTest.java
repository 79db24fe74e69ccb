package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TempDirsTest {
  @Test
  void deleteQuietlyRemovesANestedTreeAndToleratesAMissingOne() throws Exception {
    Path dir = TempDirs.deletedOnExit("streamrank-tempdirs-test-");
    assertThat(dir.getFileName().toString()).startsWith("streamrank-tempdirs-test-");
    Files.writeString(Files.createDirectories(dir.resolve("a/b")).resolve("model.onnx"), "x");
    Files.writeString(dir.resolve("manifest.json"), "{}");

    TempDirs.deleteQuietly(dir);

    assertThat(dir).doesNotExist();
    TempDirs.deleteQuietly(dir); // already gone: nothing to do, no exception
  }
}
