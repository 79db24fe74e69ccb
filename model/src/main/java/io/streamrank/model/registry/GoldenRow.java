package io.streamrank.model.registry;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;

/**
 * One row of a bundle's golden set: the score the trainer's Java model gave, which ONNX Runtime
 * must reproduce before a version is swapped in.
 *
 * @param userId raw user id (may be unknown to the model, to cover the out-of-vocabulary path)
 * @param movieId raw movie id
 * @param features the row's features, empty when the model has none
 * @param expected the expected score
 * @param rating the true rating when the row comes from labelled data, null otherwise; the hot-swap
 *     gate compares a candidate with the serving version on these
 */
public record GoldenRow(
    @JsonProperty("user_id") long userId,
    @JsonProperty("movie_id") long movieId,
    @JsonProperty("features") float[] features,
    @JsonProperty("expected") float expected,
    @JsonProperty("rating") Float rating) {

  /** Copies the features. */
  public GoldenRow {
    features = features == null ? new float[0] : features.clone();
  }

  @Override
  public float[] features() {
    return features.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GoldenRow g
        && userId == g.userId
        && movieId == g.movieId
        && Arrays.equals(features, g.features)
        && Float.compare(expected, g.expected) == 0
        && java.util.Objects.equals(rating, g.rating);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(userId) * 31
        + Long.hashCode(movieId) * 17
        + Arrays.hashCode(features)
        + Float.hashCode(expected)
        + java.util.Objects.hashCode(rating);
  }

  @Override
  public String toString() {
    return "GoldenRow["
        + userId
        + ", "
        + movieId
        + ", "
        + Arrays.toString(features)
        + " -> "
        + expected
        + (rating == null ? "" : ", rated " + rating)
        + "]";
  }
}
