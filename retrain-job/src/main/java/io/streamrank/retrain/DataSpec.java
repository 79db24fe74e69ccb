package io.streamrank.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.streamrank.datasets.DriftScenario;
import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.RatingData;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.features.StreamingFeatures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a trial's data comes from, small enough to ship to every parallel task, which then reads
 * the data window itself (so a bigger cluster tunes faster without moving data through the job).
 *
 * <p>The source is a MovieLens directory, the {@code ratings} topic ({@link RatingsTopic}: bounded
 * by offsets, and like every source by the event-time window), or the synthetic generator.
 *
 * @param movieLensDir a MovieLens directory, or null for the topic or the synthetic generator
 * @param syntheticRatings ratings the generator makes
 * @param scenario the generator's drift scenario
 * @param seed the generator's seed, and the random split's
 * @param split {@code time} (60/20/20 over the timestamp range) or {@code random} (70/10/20)
 * @param windowStart first event time (epoch seconds) of the window, inclusive
 * @param windowEnd last event time (epoch seconds) of the window, inclusive
 * @param streamingFeatures whether trials train with the point-in-time streaming features
 * @param ratingsTopic the topic slice to read, or null for a directory or the generator
 */
public record DataSpec(
    @JsonProperty("movielens_dir") String movieLensDir,
    @JsonProperty("synthetic_ratings") int syntheticRatings,
    @JsonProperty("scenario") String scenario,
    @JsonProperty("seed") long seed,
    @JsonProperty("split") String split,
    @JsonProperty("window_start") long windowStart,
    @JsonProperty("window_end") long windowEnd,
    @JsonProperty("streaming_features") boolean streamingFeatures,
    @JsonProperty("ratings_topic") RatingsTopic ratingsTopic) {

  private static final Logger LOG = LoggerFactory.getLogger(DataSpec.class);

  /** Checks the split name and that at most one source is named. */
  public DataSpec {
    if (!"time".equals(split) && !"random".equals(split)) {
      throw new IllegalArgumentException("split must be time or random, got '" + split + "'");
    }
    if (movieLensDir != null && ratingsTopic != null) {
      throw new IllegalArgumentException(
          "a data spec reads a MovieLens directory or the ratings topic, not both");
    }
    if (windowStart > windowEnd) {
      throw new IllegalArgumentException(
          "data window starts after it ends: " + windowStart + " > " + windowEnd);
    }
  }

  /** All of a MovieLens directory. */
  public static DataSpec movieLens(Path dir, String split) {
    return new DataSpec(
        dir.toAbsolutePath().toString(),
        0,
        "none",
        42,
        split,
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        false,
        null);
  }

  /** A slice of the ratings topic ({@code RatingEvent} records). */
  public static DataSpec topic(RatingsTopic topic, String split) {
    return new DataSpec(null, 0, "none", 42, split, Long.MIN_VALUE, Long.MAX_VALUE, false, topic);
  }

  /** All of a synthetic data set. */
  public static DataSpec synthetic(SyntheticGenerator.Options o, String split) {
    return new DataSpec(
        null,
        o.ratings(),
        o.scenario().cliName(),
        o.seed(),
        split,
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        false,
        null);
  }

  /** This spec restricted to an event-time window. */
  public DataSpec window(long start, long end) {
    return new DataSpec(
        movieLensDir,
        syntheticRatings,
        scenario,
        seed,
        split,
        start,
        end,
        streamingFeatures,
        ratingsTopic);
  }

  /** This spec with or without the streaming features. */
  public DataSpec withStreamingFeatures(boolean on) {
    return new DataSpec(
        movieLensDir,
        syntheticRatings,
        scenario,
        seed,
        split,
        windowStart,
        windowEnd,
        on,
        ratingsTopic);
  }

  /**
   * This spec with the topic slice's end offsets fixed (a no-op for other sources), so every
   * parallel task that reads it sees the same records even while the topic grows.
   */
  public DataSpec pinned() {
    if (ratingsTopic == null || ratingsTopic.endOffsets() != null) {
      return this;
    }
    return new DataSpec(
        movieLensDir,
        syntheticRatings,
        scenario,
        seed,
        split,
        windowStart,
        windowEnd,
        streamingFeatures,
        ratingsTopic.pinned());
  }

  /** The ratings of the window, in time order. */
  public List<Rating> ratings() {
    if (ratingsTopic != null) {
      return TopicWindowReader.read(ratingsTopic, windowStart, windowEnd).ratings();
    }
    return allRatings().stream()
        .filter(r -> r.timestamp() >= windowStart && r.timestamp() <= windowEnd)
        .toList();
  }

  /** Every rating of the source up to the window's end (a topic: every rating of its slice). */
  private List<Rating> allRatings() {
    if (ratingsTopic != null) {
      return TopicWindowReader.read(ratingsTopic, Long.MIN_VALUE, windowEnd).ratings();
    }
    if (movieLensDir != null) {
      RatingData d = MovieLens.load(Path.of(movieLensDir));
      // Not silently: the lines a trial's data lacks are named in its worker's log.
      d.malformedSummary().ifPresent(LOG::warn);
      return d.ratings();
    }
    return new SyntheticGenerator(
            SyntheticGenerator.Options.defaults()
                .withRatings(syntheticRatings)
                .withScenario(DriftScenario.parse(scenario))
                .withSeed(seed))
        .generate()
        .ratings();
  }

  /**
   * The split of the window. Cached per JVM: the trials of one task slot read the same data, and a
   * split is immutable. A topic slice is read once its end is pinned, so a cached slice is the same
   * records.
   */
  public Loaded load() {
    return Cache.SPLITS.computeIfAbsent(
        pinned(),
        spec -> {
          List<Rating> r = spec.ratings();
          if (r.isEmpty()) {
            throw new IllegalArgumentException("no ratings in the data window of " + spec);
          }
          Split split = "time".equals(spec.split) ? Splits.byTime(r) : Splits.random(r, spec.seed);
          if (!spec.streamingFeatures) {
            return new Loaded(split, null, null, null);
          }
          // Point in time over everything up to the window's end, as the stream's feature state
          // holds it (not just the window): a row sees only strictly earlier ratings.
          List<Rating> history =
              spec.allRatings().stream().filter(x -> x.timestamp() <= spec.windowEnd).toList();
          StreamingFeatures f = StreamingFeatures.DEFAULT;
          return new Loaded(
              split,
              f.pointInTime(history, split.train()),
              f.pointInTime(history, split.valid()),
              f.pointInTime(history, split.test()));
        });
  }

  /**
   * A loaded window: the split and, with streaming features, each row's features.
   *
   * @param split train / valid / test
   * @param trainFeatures features of the training rows, or null
   * @param validFeatures features of the validation rows, or null
   * @param testFeatures features of the test rows, or null
   */
  public record Loaded(
      Split split, float[][] trainFeatures, float[][] validFeatures, float[][] testFeatures) {
    /** Number of features per row. */
    public int numFeatures() {
      return trainFeatures == null ? 0 : StreamingFeatures.COUNT;
    }
  }

  /** JVM-wide cache of loaded splits (bounded by the few specs one process tunes on). */
  private static final class Cache {
    static final Map<DataSpec, Loaded> SPLITS = new ConcurrentHashMap<>();
  }
}
