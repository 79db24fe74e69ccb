package io.streamrank.model.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamrank.datasets.Rating;
import io.streamrank.model.RankingModel;
import io.streamrank.model.SyntheticRatings;
import io.streamrank.model.onnx.OnnxExporter;
import io.streamrank.model.onnx.TinyModels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The user-activity and movie-popularity references: training-set rating counts in the manifest's
 * vocabulary and the two histograms over the validation rows; manifests without them still load.
 */
class ActivityReferenceTest {
  private static RankingModel model;
  private static byte[] onnx;
  private static List<Rating> trained;
  private static List<Rating> valid;

  @BeforeAll
  static void train() {
    model = TinyModels.trained(0);
    onnx = new OnnxExporter().export(model, "v1", Map.of());
    trained = SyntheticRatings.generate(50, 30, 600, 3);
    valid = SyntheticRatings.generate(50, 30, 300, 4);
  }

  private static Manifest manifest(List<Rating> trainedRows) {
    return Bundles.manifest(
        model,
        onnx,
        "v1",
        null,
        Manifest.DataWindow.ofEpochSeconds(0, 100),
        Map.of("valid_rmse", 0.9),
        valid,
        null,
        null,
        trainedRows);
  }

  @Test
  void manifestCarriesTrainingCountsAndBothReferences() throws Exception {
    Manifest m = Manifest.fromJson(manifest(trained).toJson());
    Manifest.Vocabulary v = m.vocabulary();
    assertThat(v.hasRatingCounts()).isTrue();
    long user = v.users()[0];
    long movie = v.movies()[v.movies().length - 1];
    assertThat(v.userRatingCount(user))
        .isEqualTo(trained.stream().filter(r -> r.userId() == user).count());
    assertThat(v.movieRatingCount(movie))
        .isEqualTo(trained.stream().filter(r -> r.movieId() == movie).count());
    assertThat(v.userRatingCount(-42)).isZero();

    for (String name :
        List.of(Manifest.USER_ACTIVITY_HISTOGRAM, Manifest.MOVIE_POPULARITY_HISTOGRAM)) {
      Histogram h = m.referenceHistograms().get(name);
      assertThat(h).as(name).isNotNull();
      assertThat(h.edges()).isEqualTo(Bundles.ACTIVITY_EDGES);
      assertThat(h.count()).isEqualTo(valid.size());
      assertThat(Arrays.stream(h.fractions()).sum()).isCloseTo(1.0, within(1e-9));
    }
    // The bin of the first validation row's user holds at least that row.
    Rating first = valid.get(0);
    int bin = Histogram.bin(Bundles.ACTIVITY_EDGES, v.userRatingCount(first.userId()));
    assertThat(m.referenceHistograms().get(Manifest.USER_ACTIVITY_HISTOGRAM).fractions()[bin])
        .isGreaterThanOrEqualTo(1.0 / valid.size());
  }

  @Test
  void withoutTrainingRowsThereAreNoCountsAndNoActivityReferences() {
    Manifest m = manifest(null);
    assertThat(m.vocabulary().hasRatingCounts()).isFalse();
    assertThat(m.referenceHistograms())
        .containsKey(Manifest.PREDICTION_HISTOGRAM)
        .doesNotContainKeys(Manifest.USER_ACTIVITY_HISTOGRAM, Manifest.MOVIE_POPULARITY_HISTOGRAM);
  }

  @Test
  void aManifestWrittenBeforeCountsStillLoads() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode tree = (ObjectNode) json.readTree(manifest(trained).toJson());
    ObjectNode vocabulary = (ObjectNode) tree.get("vocabulary");
    vocabulary.remove("user_ratings");
    vocabulary.remove("movie_ratings");
    ObjectNode histograms = (ObjectNode) tree.get("reference_histograms");
    histograms.remove(Manifest.USER_ACTIVITY_HISTOGRAM);
    histograms.remove(Manifest.MOVIE_POPULARITY_HISTOGRAM);

    Manifest old = Manifest.fromJson(json.writeValueAsBytes(tree));
    assertThat(old.vocabulary().hasRatingCounts()).isFalse();
    assertThat(old.vocabulary().knowsUser(old.vocabulary().users()[0])).isTrue();
    assertThat(old.vocabulary().userRatingCount(old.vocabulary().users()[0])).isZero();
  }

  @Test
  void vocabularySortsIdsWithTheirCounts() {
    Manifest.Vocabulary v =
        new Manifest.Vocabulary(
            new long[] {30, 10, 20}, new long[] {7, 5}, new int[] {3, 1, 2}, new int[] {70, 50});
    assertThat(v.users()).containsExactly(10, 20, 30);
    assertThat(v.userRatings()).containsExactly(1, 2, 3);
    assertThat(v.userRatingCount(30)).isEqualTo(3);
    assertThat(v.movieRatingCount(5)).isEqualTo(50);
    assertThatThrownBy(
            () -> new Manifest.Vocabulary(new long[] {1, 2}, new long[0], new int[] {1}, null))
        .hasMessageContaining("2 user ids but 1 user rating counts");
  }
}
