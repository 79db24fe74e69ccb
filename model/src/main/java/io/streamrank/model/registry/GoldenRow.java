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
 */
public record GoldenRow(
    @JsonProperty("user_id") long userId,
    @JsonProperty("movie_id") long movieId,
    @JsonProperty("features") float[] features,
    @JsonProperty("expected") float expected) {

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
        && Float.compare(expected, g.expected) == 0;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(userId) * 31
        + Long.hashCode(movieId) * 17
        + Arrays.hashCode(features)
        + Float.hashCode(expected);
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
        + "]";
  }
}
