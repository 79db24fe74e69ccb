package io.streamrank.model.registry;

import io.streamrank.datasets.Rating;
import io.streamrank.model.Metrics;
import io.streamrank.model.RankingModel;
import io.streamrank.model.onnx.ModelSignature;
import io.streamrank.model.onnx.SharedScorers;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Builds the manifest of a trained model: histograms, golden set, signature, checksum. */
public final class Bundles {
  /**
   * Rows in a golden set: 8 that exercise unknown and odd ids, the rest labelled rows the hot-swap
   * gate uses.
   */
  public static final int GOLDEN_ROWS = 264;

  /** Edges of the prediction histogram: 20 bins of 0.25 from 0.5 to 5.5. */
  public static final double[] PREDICTION_EDGES = Histogram.edges(0.5, 5.5, 20);

  /** Edges of the rating histogram: 10 bins of 0.5 centred on the half-star ratings 0.5..5. */
  public static final double[] RATING_EDGES = Histogram.edges(0.25, 5.25, 10);

  /** Edges of the hour-of-day histogram: 24 bins of one hour, UTC. */
  public static final double[] HOUR_EDGES = Histogram.edges(0, 24, 24);

  /**
   * Edges of the user-activity and movie-popularity histograms, over training-set rating counts:
   * bins 0 (unknown to the model), 1, 2–4, 5–9, 10–19, 20–49, 50–99, 100–199, 200–499, 500 and
   * more.
   */
  public static final double[] ACTIVITY_EDGES = {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};

  private Bundles() {}

  /** The UTC hour of day of an epoch-second timestamp, 0 to 23. */
  public static int hourOfDay(long epochSeconds) {
    return (int) (Math.floorMod(epochSeconds, 86_400L) / 3600);
  }

  /**
   * Exports a model without features, builds its manifest and publishes the bundle: the common case
   * of a model trained in this process. Golden rows and reference histograms come from {@code
   * labelled}.
   *
   * @param parentVersion the version it replaces, or null
   * @param metrics offline figures for the manifest (non-finite ones are left out)
   * @throws IOException when the registry cannot be written
   */
  public static BundleRef exportAndPublish(
      ModelRegistry registry,
      RankingModel model,
      String version,
      String parentVersion,
      List<Rating> labelled,
      Map<String, Double> metrics)
      throws java.io.IOException {
    return exportAndPublish(registry, model, version, parentVersion, null, labelled, metrics);
  }

  /**
   * As {@link #exportAndPublish(ModelRegistry, RankingModel, String, String, List, Map)}, with the
   * rows the model was trained on, so the manifest carries each id's training-set rating count and
   * the user-activity and movie-popularity references.
   *
   * @param trained the training rows, or null to leave the counts out
   */
  public static BundleRef exportAndPublish(
      ModelRegistry registry,
      RankingModel model,
      String version,
      String parentVersion,
      List<Rating> trained,
      List<Rating> labelled,
      Map<String, Double> metrics)
      throws java.io.IOException {
    return publish(registry, model, version, parentVersion, trained, labelled, null, metrics, null);
  }

  /**
   * Exports a model that takes the streaming features, builds its manifest (with the feature
   * definition) and publishes the bundle.
   *
   * @param labelledFeatures one feature array per labelled row, computed with {@code definition}
   * @throws IOException when the registry cannot be written
   */
  public static BundleRef exportAndPublish(
      ModelRegistry registry,
      RankingModel model,
      String version,
      String parentVersion,
      List<Rating> labelled,
      float[][] labelledFeatures,
      Map<String, Double> metrics,
      io.streamrank.model.features.StreamingFeatures definition)
      throws java.io.IOException {
    return publish(
        registry,
        model,
        version,
        parentVersion,
        null,
        labelled,
        labelledFeatures,
        metrics,
        definition);
  }

  /** Exports, builds the manifest over {@code labelled}'s time range and publishes. */
  private static BundleRef publish(
      ModelRegistry registry,
      RankingModel model,
      String version,
      String parentVersion,
      List<Rating> trained,
      List<Rating> labelled,
      float[][] labelledFeatures,
      Map<String, Double> metrics,
      io.streamrank.model.features.StreamingFeatures definition)
      throws java.io.IOException {
    Map<String, String> metadata =
        definition == null
            ? Map.of()
            : Map.of(
                "features", String.join(",", io.streamrank.model.features.StreamingFeatures.NAMES));
    byte[] onnx = new io.streamrank.model.onnx.OnnxExporter().export(model, version, metadata);
    long min = labelled.stream().mapToLong(Rating::timestamp).min().orElse(0);
    long max = labelled.stream().mapToLong(Rating::timestamp).max().orElse(0);
    Manifest manifest =
        manifest(
            model,
            onnx,
            version,
            parentVersion,
            Manifest.DataWindow.ofEpochSeconds(min, max),
            metrics,
            labelled,
            labelledFeatures,
            definition == null ? null : definition.toMap(),
            trained);
    return registry.publish(onnx, manifest);
  }

  /** The manifest of a model without a feature definition; see the full overload. */
  public static Manifest manifest(
      RankingModel model,
      byte[] onnx,
      String version,
      String parentVersion,
      Manifest.DataWindow window,
      Map<String, Double> metrics,
      List<Rating> valid,
      float[][] validFeatures) {
    return manifest(
        model, onnx, version, parentVersion, window, metrics, valid, validFeatures, null);
  }

  /** The manifest of a model without training-set rating counts; see the full overload. */
  public static Manifest manifest(
      RankingModel model,
      byte[] onnx,
      String version,
      String parentVersion,
      Manifest.DataWindow window,
      Map<String, Double> metrics,
      List<Rating> valid,
      float[][] validFeatures,
      Map<String, Object> features) {
    return manifest(
        model, onnx, version, parentVersion, window, metrics, valid, validFeatures, features, null);
  }

  /**
   * The manifest of a model exported as {@code onnx}.
   *
   * @param valid validation rows: prediction and rating histograms and most golden rows come from
   *     them (the rest exercise unknown ids)
   * @param validFeatures one feature array per validation row, null without features
   * @param window event-time range of the training data
   * @param metrics offline metrics; non-finite values are left out
   * @param features the feature definition's map for the manifest, null without features
   * @param trained the rows the model was trained on: the vocabulary's rating counts and the
   *     user-activity and movie-popularity references come from them; null leaves them out (the
   *     monitors then skip those signals)
   */
  public static Manifest manifest(
      RankingModel model,
      byte[] onnx,
      String version,
      String parentVersion,
      Manifest.DataWindow window,
      Map<String, Double> metrics,
      List<Rating> valid,
      float[][] validFeatures,
      Map<String, Object> features,
      List<Rating> trained) {
    Map<String, Double> finite = new LinkedHashMap<>();
    metrics.forEach(
        (k, v) -> {
          if (v != null && Double.isFinite(v)) {
            finite.put(k, v);
          }
        });
    Map<String, Histogram> histograms = new LinkedHashMap<>();
    float[] predictions = Metrics.predict(model, valid, validFeatures);
    histograms.put(
        Manifest.PREDICTION_HISTOGRAM,
        Histogram.of(predictions, predictions.length, PREDICTION_EDGES));
    float[] ratings = Metrics.labels(valid);
    histograms.put(Manifest.RATING_HISTOGRAM, Histogram.of(ratings, ratings.length, RATING_EDGES));
    float[] hours = new float[valid.size()];
    for (int i = 0; i < hours.length; i++) {
      hours[i] = hourOfDay(valid.get(i).timestamp());
    }
    histograms.put(Manifest.HOUR_OF_DAY_HISTOGRAM, Histogram.of(hours, hours.length, HOUR_EDGES));
    long[] users = model.users().ids();
    long[] movies = model.movies().ids();
    Manifest.Vocabulary vocabulary =
        trained == null
            ? new Manifest.Vocabulary(users, movies)
            : new Manifest.Vocabulary(
                users,
                movies,
                ratingCounts(users, trained, Rating::userId),
                ratingCounts(movies, trained, Rating::movieId));
    if (trained != null) {
      histograms.put(
          Manifest.USER_ACTIVITY_HISTOGRAM,
          activity(valid, r -> vocabulary.userRatingCount(r.userId())));
      histograms.put(
          Manifest.MOVIE_POPULARITY_HISTOGRAM,
          activity(valid, r -> vocabulary.movieRatingCount(r.movieId())));
    }
    return new Manifest(
        Manifest.FORMAT_VERSION,
        version,
        parentVersion,
        Instant.now().toString(),
        window,
        model.config().toMap(),
        finite,
        histograms,
        SharedScorers.sha256(onnx),
        onnx.length,
        ModelSignature.expected(model.numFeatures()),
        golden(model, valid, validFeatures, model.config().seed()),
        features,
        vocabulary);
  }

  /** How many of the rows have each id, in the order of {@code ids}. */
  static int[] ratingCounts(
      long[] ids, List<Rating> rows, java.util.function.ToLongFunction<Rating> id) {
    Map<Long, Integer> counts = new java.util.HashMap<>();
    for (Rating r : rows) {
      counts.merge(id.applyAsLong(r), 1, Integer::sum);
    }
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = counts.getOrDefault(ids[i], 0);
    }
    return out;
  }

  /** The histogram of a per-row training count over the rows, in {@link #ACTIVITY_EDGES}. */
  private static Histogram activity(
      List<Rating> rows, java.util.function.ToIntFunction<Rating> count) {
    float[] v = new float[rows.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = count.applyAsInt(rows.get(i));
    }
    return Histogram.of(v, v.length, ACTIVITY_EDGES);
  }

  /**
   * {@value #GOLDEN_ROWS} rows with the Java model's scores: sampled validation rows (or synthetic
   * known ids when there are none) plus unknown, negative and out-of-range ids.
   */
  public static List<GoldenRow> golden(
      RankingModel model, List<Rating> rows, float[][] features, long seed) {
    int f = model.numFeatures();
    SplittableRandom rng = new SplittableRandom(seed);
    List<long[]> ids = new ArrayList<>();
    List<float[]> feats = new ArrayList<>();
    List<Float> labels = new ArrayList<>();
    long[] users = model.users().ids();
    long[] movies = model.movies().ids();
    long unknownUser = model.users().maxId() + 1;
    long unknownMovie = model.movies().maxId() + 1;
    long[][] odd = {
      {unknownUser, movies.length > 0 ? movies[0] : 0},
      {users.length > 0 ? users[0] : 0, unknownMovie},
      {unknownUser, unknownMovie},
      {-1, -1},
      {Long.MAX_VALUE, Long.MIN_VALUE},
      {0, 0},
      {unknownUser + 1_000_000, movies.length > 0 ? movies[movies.length - 1] : 0},
      {users.length > 0 ? users[users.length - 1] : 0, -7}
    };
    for (long[] o : odd) {
      ids.add(o);
      feats.add(new float[f]);
      labels.add(null);
    }
    while (ids.size() < GOLDEN_ROWS) {
      if (!rows.isEmpty()) {
        int i = rng.nextInt(rows.size());
        ids.add(new long[] {rows.get(i).userId(), rows.get(i).movieId()});
        feats.add(f > 0 ? features[i].clone() : new float[0]);
        labels.add(rows.get(i).rating());
      } else {
        ids.add(
            new long[] {
              users.length > 0 ? users[rng.nextInt(users.length)] : 0,
              movies.length > 0 ? movies[rng.nextInt(movies.length)] : 0
            });
        feats.add(new float[f]);
        labels.add(null);
      }
    }
    List<GoldenRow> out = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      long[] um = ids.get(i);
      float[] x = feats.get(i);
      out.add(
          new GoldenRow(
              um[0], um[1], x, model.predict(um[0], um[1], f > 0 ? x : null), labels.get(i)));
    }
    return out;
  }
}
