package io.streamrank.model.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.SyntheticGenerator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FoldInTableTest {
  private static List<Rating> ratings() {
    return new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(2_000))
        .generate()
        .ratings();
  }

  @Test
  void aFittedTableRoundTripsThroughItsFileFormat() throws IOException {
    FoldInTable table = FoldInTable.fit(ratings(), 4, 2f, 5, 3f, 1L);
    assertThat(table.size()).isPositive();
    assertThat(table.dim()).isEqualTo(4);
    FoldInTable read = FoldInTable.read(new ByteArrayInputStream(table.toBytes()), "t.bin");
    assertThat(read.sha256()).isEqualTo(table.sha256()).hasSize(64);
    assertThat(read.ridge()).isEqualTo(3f);
    long movie = ratings().get(0).movieId();
    assertThat(read.vector(movie)).containsExactly(table.vector(movie));
    assertThat(table.vector(-1)).as("a movie the table does not know").isNull();
    // The same ratings and seed give the same table; the vectors are not all zero.
    assertThat(FoldInTable.fit(ratings(), 4, 2f, 5, 3f, 1L).sha256()).isEqualTo(table.sha256());
    float[] v = table.vector(movie);
    assertThat(v).isNotNull();
    assertThat((double) v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + v[3] * v[3]).isPositive();
  }

  @Test
  void aBadFileIsRejectedNamingTheFileAndTheProblem() {
    byte[] good = new FoldInTable(2, 5f, new long[] {1, 2}, new float[] {1, 0, 0, 1}).toBytes();
    byte[] notATable = "{\"version\": 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThatThrownBy(() -> FoldInTable.read(new ByteArrayInputStream(notATable), "x.json"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("x.json")
        .hasMessageContaining("not a fold-in table");
    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> FoldInTable.read(new ByteArrayInputStream(truncated), "t.bin"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("t.bin")
        .hasMessageContaining("truncated");
    byte[] longer = Arrays.copyOf(good, good.length + 1);
    assertThatThrownBy(() -> FoldInTable.read(new ByteArrayInputStream(longer), "t.bin"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bytes after");
    assertThatThrownBy(() -> new FoldInTable(2, 5f, new long[] {2, 1}, new float[4]))
        .hasMessageContaining("ascend");
    assertThatThrownBy(() -> new FoldInTable(2, 0f, new long[] {1}, new float[2]))
        .hasMessageContaining("ridge");
  }

  @Test
  void theCorrectionIsTheRidgeFitOfTheUsersResidualsOnTheMovieVectors() {
    StreamingFeatures f = new StreamingFeatures(3.5f, 5f, 7f);
    float[] q = {2f};
    // One rating of a movie with vector 2 and residual 1, no decay (same time): the 2x2 system
    // [[4 + ridge, 2], [2, 1 + shrinkage]] (u, c) = (2, 1).
    RatingStats user = f.rating(4.5f, 1.0, 100, q);
    double ridge = 3;
    double a = 4 + ridge;
    double b = 2;
    double d = 1 + 5;
    double u = (2 * d - b * 1) / (a * d - b * b);
    assertThat(f.foldInCorrection(user, new float[] {0.5f}, (float) ridge, 100))
        .isCloseTo(0.5 * u, within(1e-9));
    assertThat(f.foldInCorrection(user, null, 3f, 100)).as("movie without a vector").isZero();
    assertThat(f.foldInCorrection(RatingStats.EMPTY, q, 3f, 100)).as("no history").isZero();
    // A residual change of the rating is the same as the rating with the changed residual.
    RatingStats changed = f.merge(user, f.residualChange(0.5, 100, q));
    RatingStats direct = f.rating(4.5f, 1.5, 100, q);
    assertThat(f.foldInCorrection(changed, q, 3f, 200))
        .isCloseTo(f.foldInCorrection(direct, q, 3f, 200), within(1e-12));
  }

  @Test
  void pointInTimeCorrectionsSeeOnlyStrictlyEarlierRatings() {
    StreamingFeatures f = StreamingFeatures.DEFAULT;
    FoldInTable table = new FoldInTable(1, 1f, new long[] {10, 11, 12}, new float[] {1, -1, 1});
    List<Rating> history =
        List.of(
            new Rating(1, 10, 100, 5f),
            new Rating(1, 11, 200, 1f),
            new Rating(1, 12, 200, 5f)); // same second as the previous: they do not see each other
    double[] c = f.foldInCorrections(history, history, table);
    assertThat(c[0]).as("no earlier rating").isZero();
    double[] onlyFirst = f.foldInCorrections(history.subList(0, 1), history.subList(1, 3), table);
    assertThat(c[1]).isNotZero().isEqualTo(onlyFirst[0]);
    assertThat(c[2]).isEqualTo(onlyFirst[1]);
    // Order of the history does not matter.
    assertThat(
            f.foldInCorrections(
                List.of(history.get(2), history.get(0), history.get(1)), history, table))
        .containsExactly(c);
  }
}
