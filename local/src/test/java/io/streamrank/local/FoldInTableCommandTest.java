package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.model.features.FoldInTable;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./streamrank fold-in-table}: writes a table the job can read. */
class FoldInTableCommandTest {
  @Test
  void writesATableOfTheRatedMoviesThatReadsBack(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tables/fold-in.bin");
    int rc =
        StreamrankCli.commandLine()
            .execute("fold-in-table", "--synthetic-ratings", "3000", "--out", file.toString());
    assertThat(rc).isZero();
    try (InputStream in = Files.newInputStream(file)) {
      FoldInTable table = FoldInTable.read(in, file.toString());
      assertThat(table.dim()).isEqualTo(PrequentialEvaluation.FOLD_IN_DIM);
      assertThat(table.size()).isPositive();
    }
  }

  @Test
  void aMissingDataDirectoryFailsWithoutAFile(@TempDir Path dir) {
    Path file = dir.resolve("t.bin");
    int rc =
        StreamrankCli.commandLine()
            .execute(
                "fold-in-table",
                "--data",
                dir.resolve("nothing").toString(),
                "--out",
                file.toString());
    assertThat(rc).isNotZero();
    assertThat(file).doesNotExist();
  }
}
