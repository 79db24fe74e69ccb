package io.streamrank.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SyntheticGeneratorTest {
  @Test
  void sameSeedSameRatingsInTimeOrderOnTheRatingScale() {
    SyntheticGenerator.Options o = SyntheticGenerator.Options.defaults().withRatings(5_000);
    List<Rating> a = new SyntheticGenerator(o).generate().ratings();
    List<Rating> b = new SyntheticGenerator(o).generate().ratings();
    assertThat(a).isEqualTo(b).hasSize(5_000);
    assertThat(a).allSatisfy(r -> assertThat(r.rating()).isBetween(1f, 5f));
    assertThat(new SyntheticGenerator(o.withSeed(7)).generate().ratings()).isNotEqualTo(a);
  }

  @Test
  void newMoviesScenarioBringsUnseenMoviesAfterTheDriftPoint() {
    SyntheticGenerator.Options o =
        SyntheticGenerator.Options.defaults()
            .withRatings(20_000)
            .withScenario(DriftScenario.NEW_MOVIES);
    Split split = Splits.byTime(new SyntheticGenerator(o).generate().ratings(), 0.6, 0.7);
    long maxOld = o.movies();
    assertThat(split.train()).allSatisfy(r -> assertThat(r.movieId()).isLessThanOrEqualTo(maxOld));
    long newInTest = split.test().stream().filter(r -> r.movieId() > maxOld).count();
    assertThat(newInTest).isGreaterThan(split.test().size() / 3);
  }

  @Test
  void badOptionsNameTheSetting() {
    assertThatThrownBy(() -> DriftScenario.parse("sideways")).hasMessageContaining("taste-shift");
    assertThatThrownBy(
            () -> new SyntheticGenerator.Options(0, 1, 1, 1, 1, 0.5, DriftScenario.NONE, 1))
        .hasMessageContaining("users must be > 0");
  }
}
