package io.streamrank.model.registry;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.onnx.ModelSignature;
import io.streamrank.model.onnx.ModelValidationException;
import io.streamrank.model.onnx.OnnxScorer;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A bundle's {@code manifest.json}: everything the serving side needs to trust, monitor and gate a
 * model version without re-reading the training data.
 *
 * @param formatVersion manifest format, currently {@value #FORMAT_VERSION}
 * @param version the model version (also the bundle directory's name)
 * @param parentVersion the version this one was retrained from, null for the first
 * @param createdAt ISO-8601 instant the bundle was built
 * @param dataWindow event-time range of the ratings trained on
 * @param hyperparameters {@link ModelConfig#toMap()}
 * @param metrics offline metrics, e.g. {@code valid_rmse}, {@code test_rmse}, {@code test_ndcg10}
 * @param referenceHistograms reference distributions for drift monitors, by name (at least {@value
 *     #PREDICTION_HISTOGRAM})
 * @param modelSha256 hex sha256 of {@code model.onnx}
 * @param modelSizeBytes size of {@code model.onnx}
 * @param signature the model's inputs and outputs
 * @param golden rows with expected scores, checked before a hot swap
 * @param features the feature definition the model was trained with ({@code StreamingFeatures}'s
 *     map: names and parameters), null when it takes no features
 * @param vocabulary the user and movie ids the model has rows for (everything else takes the
 *     out-of-vocabulary path), null in bundles written before it was recorded
 */
public record Manifest(
    @JsonProperty("format_version") int formatVersion,
    @JsonProperty("version") String version,
    @JsonProperty("parent_version") String parentVersion,
    @JsonProperty("created_at") String createdAt,
    @JsonProperty("data_window") DataWindow dataWindow,
    @JsonProperty("hyperparameters") Map<String, Object> hyperparameters,
    @JsonProperty("metrics") Map<String, Double> metrics,
    @JsonProperty("reference_histograms") Map<String, Histogram> referenceHistograms,
    @JsonProperty("model_sha256") String modelSha256,
    @JsonProperty("model_size_bytes") long modelSizeBytes,
    @JsonProperty("signature") ModelSignature signature,
    @JsonProperty("golden") List<GoldenRow> golden,
    @JsonProperty("features") Map<String, Object> features,
    @JsonProperty("vocabulary") Vocabulary vocabulary) {

  /**
   * The ids a model knows, sorted ascending, and how many training ratings each had.
   *
   * @param users known user ids
   * @param movies known movie ids
   * @param userRatings training-set rating count of each user, parallel to {@code users}; null in
   *     bundles written before counts were recorded
   * @param movieRatings training-set rating count of each movie, parallel to {@code movies}; null
   *     in bundles written before counts were recorded
   */
  public record Vocabulary(
      @JsonProperty("users") long[] users,
      @JsonProperty("movies") long[] movies,
      @JsonProperty("user_ratings") int[] userRatings,
      @JsonProperty("movie_ratings") int[] movieRatings) {
    /** Sorts copies of the ids (with their counts) and checks the counts match the ids. */
    public Vocabulary {
      users = users == null ? new long[0] : users;
      movies = movies == null ? new long[0] : movies;
      checkCounts(users, userRatings, "user");
      checkCounts(movies, movieRatings, "movie");
      int[] userOrder = ascending(users);
      int[] movieOrder = ascending(movies);
      users = permute(users, userOrder);
      movies = permute(movies, movieOrder);
      userRatings = userRatings == null ? null : permute(userRatings, userOrder);
      movieRatings = movieRatings == null ? null : permute(movieRatings, movieOrder);
    }

    /** Ids without rating counts. */
    public Vocabulary(long[] users, long[] movies) {
      this(users, movies, null, null);
    }

    /** True when the model has a row for the user. */
    public boolean knowsUser(long id) {
      return java.util.Arrays.binarySearch(users, id) >= 0;
    }

    /** True when the model has a row for the movie. */
    public boolean knowsMovie(long id) {
      return java.util.Arrays.binarySearch(movies, id) >= 0;
    }

    /** True when the training-set rating counts were recorded. */
    public boolean hasRatingCounts() {
      return userRatings != null && movieRatings != null;
    }

    /** Training ratings of a user, 0 for an unknown one (or when counts were not recorded). */
    public int userRatingCount(long id) {
      int i = java.util.Arrays.binarySearch(users, id);
      return i < 0 || userRatings == null ? 0 : userRatings[i];
    }

    /** Training ratings of a movie, 0 for an unknown one (or when counts were not recorded). */
    public int movieRatingCount(long id) {
      int i = java.util.Arrays.binarySearch(movies, id);
      return i < 0 || movieRatings == null ? 0 : movieRatings[i];
    }

    private static void checkCounts(long[] ids, int[] counts, String what) {
      if (counts != null && counts.length != ids.length) {
        throw new IllegalArgumentException(
            "vocabulary has "
                + ids.length
                + " "
                + what
                + " ids but "
                + counts.length
                + " "
                + what
                + " rating counts");
      }
    }

    /** The indices of {@code ids} in ascending order of id. */
    private static int[] ascending(long[] ids) {
      return java.util.stream.IntStream.range(0, ids.length)
          .boxed()
          .sorted(java.util.Comparator.comparingLong(i -> ids[i]))
          .mapToInt(Integer::intValue)
          .toArray();
    }

    private static long[] permute(long[] v, int[] order) {
      long[] out = new long[order.length];
      for (int i = 0; i < order.length; i++) {
        out[i] = v[order[i]];
      }
      return out;
    }

    private static int[] permute(int[] v, int[] order) {
      int[] out = new int[order.length];
      for (int i = 0; i < order.length; i++) {
        out[i] = v[order[i]];
      }
      return out;
    }
  }

  /** The manifest format this code writes. */
  public static final int FORMAT_VERSION = 1;

  /** Name of the histogram of predicted scores on validation rows. */
  public static final String PREDICTION_HISTOGRAM = "prediction";

  /** Name of the histogram of the validation rows' hour of day (UTC), an input distribution. */
  public static final String HOUR_OF_DAY_HISTOGRAM = "hour_of_day";

  /**
   * Name of the histogram of user activity, an input distribution: over the validation rows, the
   * training-set rating count of each row's user, in {@code Bundles.ACTIVITY_EDGES} bins (0 for a
   * user the model does not know).
   */
  public static final String USER_ACTIVITY_HISTOGRAM = "user_activity";

  /**
   * Name of the histogram of movie popularity, an input distribution: over the validation rows, the
   * training-set rating count of each row's movie, in {@code Bundles.ACTIVITY_EDGES} bins (0 for a
   * movie the model does not know).
   */
  public static final String MOVIE_POPULARITY_HISTOGRAM = "movie_popularity";

  /** Name of the histogram of validation ratings. */
  public static final String RATING_HISTOGRAM = "rating";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Event-time range of the training data.
   *
   * @param start ISO-8601 instant of the earliest rating
   * @param end ISO-8601 instant of the latest rating
   */
  public record DataWindow(@JsonProperty("start") String start, @JsonProperty("end") String end) {
    /** The window between two epoch-second timestamps. */
    public static DataWindow ofEpochSeconds(long start, long end) {
      return new DataWindow(
          Instant.ofEpochSecond(start).toString(), Instant.ofEpochSecond(end).toString());
    }
  }

  /** Copies the collections and checks the required fields. */
  public Manifest {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(signature, "signature");
    hyperparameters =
        hyperparameters == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
    Map<String, Double> finite = new LinkedHashMap<>();
    if (metrics != null) {
      // JSON has no NaN or infinity: a metric that could not be computed is left out.
      metrics.forEach(
          (k, v) -> {
            if (v != null && Double.isFinite(v)) {
              finite.put(k, v);
            }
          });
    }
    metrics = java.util.Collections.unmodifiableMap(finite);
    referenceHistograms =
        referenceHistograms == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(referenceHistograms));
    golden = golden == null ? List.of() : List.copyOf(golden);
    features =
        features == null
            ? null
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(features));
  }

  /** This manifest describing the given model file. */
  public Manifest withModel(String sha256, long sizeBytes) {
    return new Manifest(
        formatVersion,
        version,
        parentVersion,
        createdAt,
        dataWindow,
        hyperparameters,
        metrics,
        referenceHistograms,
        sha256,
        sizeBytes,
        signature,
        golden,
        features,
        vocabulary);
  }

  /** The JSON text, UTF-8. */
  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write manifest " + version + " as JSON", e);
    }
  }

  /**
   * The manifest as a JSON tree read back from {@link #toJson()}, so two manifests with the same
   * content compare equal whether built in memory or parsed.
   */
  public JsonNode toJsonTree() {
    try {
      return JSON.readTree(toJson());
    } catch (IOException e) {
      throw new IllegalStateException("cannot re-read manifest " + version + " as JSON", e);
    }
  }

  /**
   * Parses {@code manifest.json}.
   *
   * @throws IOException when the text is not a manifest
   */
  public static Manifest fromJson(byte[] json) throws IOException {
    return JSON.readValue(json, Manifest.class);
  }

  /** The hyperparameters as a configuration. */
  public ModelConfig config() {
    return ModelConfig.fromMap(hyperparameters);
  }

  /**
   * Scores the golden rows with a scorer and checks every score is finite and within {@code
   * tolerance} of the expected one.
   *
   * @return the largest absolute difference
   * @throws ModelValidationException naming the first bad row
   */
  public double checkGolden(OnnxScorer scorer, float tolerance) {
    int n = golden.size();
    if (n == 0) {
      return 0;
    }
    int f = scorer.numFeatures();
    long[] users = new long[n];
    long[] movies = new long[n];
    float[] features = f > 0 ? new float[n * f] : null;
    for (int i = 0; i < n; i++) {
      GoldenRow g = golden.get(i);
      users[i] = g.userId();
      movies[i] = g.movieId();
      if (f > 0) {
        float[] gf = g.features();
        if (gf.length != f) {
          throw new ModelValidationException(
              "golden row " + i + " has " + gf.length + " features, the model expects " + f);
        }
        System.arraycopy(gf, 0, features, i * f, f);
      }
    }
    float[] out = new float[n];
    scorer.score(users, movies, features, n, out);
    double max = 0;
    for (int i = 0; i < n; i++) {
      double diff = Math.abs((double) out[i] - golden.get(i).expected());
      if (!Float.isFinite(out[i]) || !(diff <= tolerance)) {
        throw new ModelValidationException(
            "golden row "
                + i
                + " (user "
                + users[i]
                + ", movie "
                + movies[i]
                + "): expected "
                + golden.get(i).expected()
                + " within "
                + tolerance
                + ", ONNX Runtime gave "
                + out[i]);
      }
      max = Math.max(max, diff);
    }
    return max;
  }
}
