package io.streamrank.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MovieLensTest {
  static final Path ML100K = Path.of("..", "..", "shared", "data", "ml-100k");

  @Test
  void readsEveryLayoutAndReportsMalformedLinesWithNumbers(@TempDir Path dir) throws IOException {
    Path ml100k = Files.createDirectories(dir.resolve("100k"));
    Files.writeString(
        ml100k.resolve("u.data"), "1\t10\t4\t100\nbroken line\n2\t20\tx\t50\n3\t30\t5\t10\n");
    Files.writeString(ml100k.resolve("u.item"), "10|Toy Story (1995)|01-Jan-1995\n");
    RatingData a = MovieLens.load(ml100k);
    assertThat(a.ratings()).extracting(Rating::userId).containsExactly(3L, 1L);
    assertThat(a.titles()).containsEntry(10L, "Toy Story (1995)");
    assertThat(a.malformed()).extracting(MalformedLine::lineNumber).containsExactly(2L, 3L);
    assertThat(a.malformed().get(1).reason()).contains("rating is not a number");
    assertThat(a.malformedSummary())
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains(ml100k.toString())
                    .contains("2 malformed lines skipped, first: u.data:2"));

    Path ml1m = Files.createDirectories(dir.resolve("1m"));
    Files.writeString(ml1m.resolve("ratings.dat"), "1::1193::5::978300760\n1::661::3::978302109\n");
    assertThat(MovieLens.load(ml1m).ratings()).hasSize(2);

    Path csv = Files.createDirectories(dir.resolve("latest"));
    Files.writeString(
        csv.resolve("ratings.csv"),
        "userId,movieId,rating,timestamp\n1,1,4.5,964982703\n1,3,4.0,9\n");
    Files.writeString(
        csv.resolve("movies.csv"), "movieId,title,genres\n1,\"Toy Story, The (1995)\",Comedy\n");
    RatingData c = MovieLens.load(csv);
    assertThat(c.ratings()).extracting(Rating::rating).containsExactly(4.0f, 4.5f);
    assertThat(c.titles()).containsEntry(1L, "Toy Story, The (1995)");
    assertThat(c.malformed()).isEmpty();
    assertThat(c.malformedSummary()).isEmpty();
  }

  @Test
  void namesTheFilesItLookedForWhenTheDirectoryHoldsNone(@TempDir Path dir) {
    assertThatThrownBy(() -> MovieLens.load(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("u.data")
        .hasMessageContaining("ratings.csv");
  }

  @Test
  void readsMovieLens100kInTimeOrder() {
    assumeTrue(Files.isRegularFile(ML100K.resolve("u.data")), "ML-100k not at " + ML100K);
    RatingData data = MovieLens.load(ML100K);
    assertThat(data.ratings()).hasSize(100_000);
    assertThat(data.malformed()).isEmpty();
    assertThat(data.titles()).hasSize(1682);
    for (int i = 1; i < data.ratings().size(); i++) {
      assertThat(data.ratings().get(i).timestamp())
          .isGreaterThanOrEqualTo(data.ratings().get(i - 1).timestamp());
    }
    Split split = Splits.byTime(data.ratings());
    assertThat(split.train().size() + split.valid().size() + split.test().size())
        .isEqualTo(100_000);
    assertThat(split.train().get(split.train().size() - 1).timestamp())
        .isLessThan(split.valid().get(0).timestamp());
  }
}
