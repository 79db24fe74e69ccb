package io.streamrank.streaming;

import io.streamrank.model.features.FoldInTable;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.streaming.features.FeatureSettings;
import io.streamrank.streaming.monitor.MonitorSettings;
import io.streamrank.streaming.monitor.ShadowSettings;
import io.streamrank.streaming.monitor.TriggerPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/** Every setting of the streaming job, with its default and what it does. */
public final class ScoringOptions {
  private ScoringOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("streamrank.kafka.bootstrap-servers")
          .stringType()
          .defaultValue("127.0.0.1:9092")
          .withDescription("Kafka bootstrap servers the job reads from and writes to.");

  public static final ConfigOption<String> TOPIC_PREFIX =
      ConfigOptions.key("streamrank.kafka.topic-prefix")
          .stringType()
          .defaultValue("")
          .withDescription("Prefix of every topic name (events, predictions, dead-letters, ...).");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("streamrank.kafka.group-id")
          .stringType()
          .defaultValue("streamrank-scoring")
          .withDescription("Kafka consumer group of the job's sources.");

  public static final ConfigOption<Boolean> EXACTLY_ONCE =
      ConfigOptions.key("streamrank.kafka.exactly-once")
          .booleanType()
          .defaultValue(true)
          .withDescription(
              "Write predictions and dead letters in Kafka transactions committed on checkpoints"
                  + " (readers use isolation.level=read_committed); false writes at-least-once.");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      ConfigOptions.key("streamrank.kafka.transactional-id-prefix")
          .stringType()
          .defaultValue("streamrank-scoring")
          .withDescription("Prefix of the sink's transactional ids; unique per job on a cluster.");

  public static final ConfigOption<String> KAFKA_CLIENT_PROPERTIES =
      ConfigOptions.key("streamrank.kafka.client-properties")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "A Kafka client properties file (security.protocol, sasl.mechanism,"
                  + " sasl.jaas.config, ssl.*) applied to every Kafka source and sink of the job,"
                  + " so credentials stay out of the program arguments. Read where the job is"
                  + " built (the JobManager in application mode).");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
      ConfigOptions.key("streamrank.kafka.transaction-timeout")
          .durationType()
          .defaultValue(Duration.ofMinutes(10))
          .withDescription(
              "Producer transaction timeout; must not exceed the broker's"
                  + " transaction.max.timeout.ms (15 minutes by default).");

  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("streamrank.checkpoint-interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(2))
          .withDescription("Checkpoint interval; exactly-once output becomes visible on each one.");

  public static final ConfigOption<Boolean> CHECKPOINT_UNALIGNED =
      ConfigOptions.key("streamrank.checkpoint-unaligned")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Unaligned checkpoints: a barrier overtakes the records queued ahead of it, so no"
                  + " input of a multi-input operator (scoring reads events and model updates) is"
                  + " held back while the barrier of another is on its way; the queued records go"
                  + " into the checkpoint.");

  public static final ConfigOption<Duration> BUFFER_TIMEOUT =
      ConfigOptions.key("streamrank.network.buffer-timeout")
          .durationType()
          .defaultValue(Duration.ofMillis(10))
          .withDescription(
              "Longest time a record waits in a network buffer between operators that are not"
                  + " chained (Flink's default is 100 ms, which then dominates end-to-end latency);"
                  + " 0 flushes after every record.");

  public static final ConfigOption<Boolean> PREDICTIONS_SINK_OWN_TASK =
      ConfigOptions.key("streamrank.predictions.sink-own-task")
          .booleanType()
          .defaultValue(true)
          .withDescription(
              "Run the predictions sink as its own task instead of chained to the scoring"
                  + " operator. The sink flushes its Kafka producer at every checkpoint and waits"
                  + " for the broker; in its own task that wait holds up only the sink, not"
                  + " scoring. false saves one local serialized hop per prediction.");

  public static final ConfigOption<Duration> LOW_VOLUME_BUFFER_TIMEOUT =
      ConfigOptions.key("streamrank.network.low-volume-buffer-timeout")
          .durationType()
          .defaultValue(Duration.ofMillis(100))
          .withDescription(
              "Buffer timeout of the edges that carry a few records whatever the event rate"
                  + " (model updates and decisions, shadow outcomes and decisions): each such edge"
                  + " has a flusher thread per subtask that wakes once per timeout, so a longer one"
                  + " there saves CPU at no cost to the predictions' latency; 0 flushes after every"
                  + " record.");

  public static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOptions.key("streamrank.scoring.batch-size")
          .intType()
          .defaultValue(256)
          .withDescription("Largest micro-batch handed to ONNX Runtime in one call.");

  public static final ConfigOption<Duration> FLUSH_INTERVAL =
      ConfigOptions.key("streamrank.scoring.flush-interval")
          .durationType()
          .defaultValue(Duration.ofMillis(20))
          .withDescription("Longest time an event waits for its micro-batch to fill.");

  public static final ConfigOption<String> REGISTRY =
      ConfigOptions.key("streamrank.model.registry")
          .stringType()
          .noDefaultValue()
          .withDescription("Model registry directory (file://, s3://, hdfs://).");

  public static final ConfigOption<String> MODEL_VERSION =
      ConfigOptions.key("streamrank.model.version")
          .stringType()
          .noDefaultValue()
          .withDescription("Version to serve at start; the registry's latest when unset.");

  public static final ConfigOption<Double> GATE_MARGIN =
      ConfigOptions.key("streamrank.model.gate-margin")
          .doubleType()
          .defaultValue(0.02)
          .withDescription(
              "A new version whose RMSE on its bundle's labelled gate rows exceeds the serving"
                  + " version's on the same rows by more than this is rejected.");

  public static final ConfigOption<String> DEVICE =
      ConfigOptions.key("streamrank.model.device")
          .stringType()
          .defaultValue("cpu")
          .withDescription("ONNX Runtime device: cpu, cuda, or auto (CUDA when it loads).");

  public static final ConfigOption<Integer> INTRA_OP_THREADS =
      ConfigOptions.key("streamrank.model.intra-op-threads")
          .intType()
          .defaultValue(1)
          .withDescription("ONNX Runtime intra-op threads per session.");

  public static final ConfigOption<Long> SHADOW_LABELS =
      ConfigOptions.key("streamrank.shadow.labels")
          .longType()
          .defaultValue(1000L)
          .withDescription(
              "Labelled events (predictions that met their rating while carrying the candidate's"
                  + " shadow score) after which a shadow trial is decided.");

  public static final ConfigOption<Duration> SHADOW_TIMEOUT =
      ConfigOptions.key("streamrank.shadow.timeout")
          .durationType()
          .defaultValue(Duration.ofHours(1))
          .withDescription(
              "Processing time after a shadow announcement within which the trial must collect"
                  + " its labelled events; a trial still short of them is dropped.");

  public static final ConfigOption<Double> SHADOW_MARGIN =
      ConfigOptions.key("streamrank.shadow.margin")
          .doubleType()
          .defaultValue(0.01)
          .withDescription(
              "RMSE by which a shadow candidate must beat the serving version on the trial's"
                  + " labelled events to be promoted; otherwise it is dropped.");

  public static final ConfigOption<Duration> MONITOR_WINDOW =
      ConfigOptions.key("streamrank.monitor.window")
          .durationType()
          .defaultValue(Duration.ofHours(1))
          .withDescription(
              "Event-time window of the drift, error and latency monitors: one report per window"
                  + " and model version on the monitoring topic.");

  public static final ConfigOption<Duration> MONITOR_MAX_OUT_OF_ORDERNESS =
      ConfigOptions.key("streamrank.monitor.max-out-of-orderness")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription(
              "How far behind the newest event time a prediction or rating may arrive and still"
                  + " count in its window; later ones are counted as late.");

  public static final ConfigOption<Duration> MONITOR_IDLE_TIMEOUT =
      ConfigOptions.key("streamrank.monitor.idle-timeout")
          .durationType()
          .defaultValue(Duration.ofMinutes(1))
          .withDescription(
              "A partition without records for this long stops holding the monitors' event time"
                  + " back.");

  public static final ConfigOption<Duration> LABEL_TIMEOUT =
      ConfigOptions.key("streamrank.monitor.label-timeout")
          .durationType()
          .defaultValue(Duration.ofHours(1))
          .withDescription(
              "Event time a prediction waits for its rating (and a rating for its prediction)"
                  + " before it is counted as unlabelled (unmatched) and dropped from state.");

  public static final ConfigOption<Duration> LABEL_STATE_TTL =
      ConfigOptions.key("streamrank.monitor.label-state-ttl")
          .durationType()
          .defaultValue(Duration.ofDays(1))
          .withDescription(
              "Processing-time limit on a prediction or rating waiting in the join's state; a"
                  + " backstop that bounds state if event time stops advancing.");

  public static final ConfigOption<Long> LABEL_CAPACITY =
      ConfigOptions.key("streamrank.monitor.label-capacity")
          .longType()
          .defaultValue(100_000L)
          .withDescription(
              "Predictions each subtask of the prediction-rating join holds while they wait for"
                  + " their ratings (about 400 bytes of heap each, written by every checkpoint)."
                  + " Below it every prediction waits; above the rate that fills it within the"
                  + " label timeout, the join holds a uniform sample by event id, and the ratings"
                  + " of events outside it are reported as unsampled_ratings.");

  public static final ConfigOption<Double> TRIGGER_PREDICTION_PSI =
      ConfigOptions.key("streamrank.trigger.prediction-psi")
          .doubleType()
          .defaultValue(0.25)
          .withDescription(
              "PSI of the window's prediction distribution against the serving version's reference"
                  + " above which the window breaches (0.25: a major shift by the usual reading).");

  public static final ConfigOption<Double> TRIGGER_INPUT_PSI =
      ConfigOptions.key("streamrank.trigger.input-psi")
          .doubleType()
          .defaultValue(0.25)
          .withDescription(
              "PSI of an input distribution (the events' hour of day) against the serving"
                  + " version's reference above which the window breaches.");

  public static final ConfigOption<Double> TRIGGER_USER_ACTIVITY_PSI =
      ConfigOptions.key("streamrank.trigger.user-activity-psi")
          .doubleType()
          .defaultValue(0.25)
          .withDescription(
              "PSI of user activity (per event, the training-set rating count of its user, bucketed;"
                  + " 0 for an unknown user) against the serving version's reference above which"
                  + " the window breaches.");

  public static final ConfigOption<Double> TRIGGER_MOVIE_POPULARITY_PSI =
      ConfigOptions.key("streamrank.trigger.movie-popularity-psi")
          .doubleType()
          .defaultValue(0.25)
          .withDescription(
              "PSI of movie popularity (per event, the training-set rating count of its movie,"
                  + " bucketed; 0 for an unknown movie) against the serving version's reference"
                  + " above which the window breaches.");

  public static final ConfigOption<Double> TRIGGER_RATING_PSI =
      ConfigOptions.key("streamrank.trigger.rating-psi")
          .doubleType()
          .defaultValue(0.25)
          .withDescription(
              "PSI of the window's rating distribution against the serving version's reference"
                  + " above which the window breaches.");

  public static final ConfigOption<Double> TRIGGER_OOV_RATE =
      ConfigOptions.key("streamrank.trigger.oov-rate")
          .doubleType()
          .defaultValue(0.3)
          .withDescription(
              "Share of predictions with an unknown user or movie above which the window"
                  + " breaches.");

  public static final ConfigOption<Double> TRIGGER_RMSE_INCREASE =
      ConfigOptions.key("streamrank.trigger.rmse-increase")
          .doubleType()
          .defaultValue(0.15)
          .withDescription(
              "Relative increase of the window's prequential RMSE over the serving version's"
                  + " validation RMSE above which the window breaches (0.15: 15% worse).");

  public static final ConfigOption<Long> TRIGGER_MIN_WINDOW_LABELS =
      ConfigOptions.key("streamrank.trigger.min-window-labels")
          .longType()
          .defaultValue(200L)
          .withDescription(
              "Labelled predictions a window needs before its RMSE and rating PSI count for or"
                  + " against a retrain.");

  public static final ConfigOption<Long> TRIGGER_MIN_NEW_LABELS =
      ConfigOptions.key("streamrank.trigger.min-new-labels")
          .longType()
          .defaultValue(2000L)
          .withDescription(
              "Labelled predictions needed since the serving version started (or since the last"
                  + " request) before a retrain is requested: new data to retrain on.");

  public static final ConfigOption<Integer> TRIGGER_WINDOWS =
      ConfigOptions.key("streamrank.trigger.windows")
          .intType()
          .defaultValue(3)
          .withDescription(
              "Consecutive breaching windows of one signal needed for a request (hysteresis).");

  public static final ConfigOption<Duration> TRIGGER_COOLDOWN =
      ConfigOptions.key("streamrank.trigger.cooldown")
          .durationType()
          .defaultValue(Duration.ofHours(24))
          .withDescription("Event time after a model swap during which no retrain is requested.");

  public static final ConfigOption<Duration> TRIGGER_REQUEST_TIMEOUT =
      ConfigOptions.key("streamrank.trigger.request-timeout")
          .durationType()
          .defaultValue(Duration.ofHours(24))
          .withDescription(
              "Event time after which an open retrain request that brought no new version is"
                  + " abandoned, so a new one may be raised; at most one request is open.");

  public static final ConfigOption<Duration> TRIGGER_SCHEDULE =
      ConfigOptions.key("streamrank.trigger.schedule")
          .durationType()
          .defaultValue(Duration.ZERO)
          .withDescription(
              "Event time between scheduled retrain requests, counted from the serving version's"
                  + " start or the last request; a scheduled request retrains on every rating up"
                  + " to its end. 0 (default): requests come from the drift and error signals"
                  + " only.");

  public static final ConfigOption<Boolean> FEATURES_ENABLED =
      ConfigOptions.key("streamrank.features.enabled")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Keep per-user and per-movie rating statistics in keyed state and attach the"
                  + " streaming features to every request; the served model must take them (and"
                  + " a model that takes them needs this on).");

  public static final ConfigOption<Duration> FEATURES_STATE_TTL =
      ConfigOptions.key("streamrank.features.state-ttl")
          .durationType()
          .defaultValue(Duration.ofDays(30))
          .withDescription(
              "A user's or movie's feature statistics are dropped when none of its ratings has"
                  + " arrived for this long (processing time): the bound on the feature state.");

  public static final ConfigOption<Duration> FEATURES_MAX_OUT_OF_ORDERNESS =
      ConfigOptions.key("streamrank.features.max-out-of-orderness")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription(
              "How far behind the newest event time an event may arrive and still get exact"
                  + " features; ratings wait in state until the watermark passes them. A later"
                  + " event gets no history (metric lateFeatureRequests), never a later rating.");

  public static final ConfigOption<String> FEATURES_FOLD_IN_TABLE =
      ConfigOptions.key("streamrank.features.fold-in-table")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "URI of a fold-in table of movie vectors (any Flink file system; written by"
                  + " FoldInTable.toBytes): each user's residuals are fitted online against it and"
                  + " the correction is added to every score. Read when the job is built; the"
                  + " users' state is accumulated against it, so keep it fixed for a job's life."
                  + " Needs streamrank.features.enabled. Unset (default): no correction.");

  /**
   * Checks settings that would otherwise fail late, naming the setting.
   *
   * @throws IllegalArgumentException for the first bad setting found
   */
  public static void validate(Configuration conf) {
    require(conf.get(BATCH_SIZE) > 0, BATCH_SIZE, "must be > 0, got " + conf.get(BATCH_SIZE));
    require(
        !conf.get(BUFFER_TIMEOUT).isNegative(),
        BUFFER_TIMEOUT,
        "must be >= 0, got " + conf.get(BUFFER_TIMEOUT));
    require(
        !conf.get(LOW_VOLUME_BUFFER_TIMEOUT).isNegative(),
        LOW_VOLUME_BUFFER_TIMEOUT,
        "must be >= 0, got " + conf.get(LOW_VOLUME_BUFFER_TIMEOUT));
    require(
        !conf.get(FLUSH_INTERVAL).isNegative() && !conf.get(FLUSH_INTERVAL).isZero(),
        FLUSH_INTERVAL,
        "must be positive, got " + conf.get(FLUSH_INTERVAL));
    require(
        conf.get(INTRA_OP_THREADS) > 0,
        INTRA_OP_THREADS,
        "must be > 0, got " + conf.get(INTRA_OP_THREADS));
    require(conf.get(GATE_MARGIN) >= 0, GATE_MARGIN, "must be >= 0, got " + conf.get(GATE_MARGIN));
    String device = conf.get(DEVICE);
    require(
        device.equals("cpu") || device.equals("cuda") || device.equals("auto"),
        DEVICE,
        "must be cpu, cuda or auto, got '" + device + "'");
    require(
        conf.get(TRANSACTION_TIMEOUT).toMillis() <= Duration.ofMinutes(15).toMillis(),
        TRANSACTION_TIMEOUT,
        "must not exceed the broker default transaction.max.timeout.ms of 15 minutes");
    require(
        !conf.get(BOOTSTRAP_SERVERS).isBlank(), BOOTSTRAP_SERVERS, "must name at least one broker");
    require(
        conf.get(SHADOW_LABELS) >= 1,
        SHADOW_LABELS,
        "must be >= 1, got " + conf.get(SHADOW_LABELS));
    require(
        conf.get(LABEL_CAPACITY) >= 1,
        LABEL_CAPACITY,
        "must be >= 1, got " + conf.get(LABEL_CAPACITY));
    require(
        conf.get(SHADOW_MARGIN) >= 0,
        SHADOW_MARGIN,
        "must be >= 0, got " + conf.get(SHADOW_MARGIN));
    for (ConfigOption<Duration> d :
        List.of(
            MONITOR_WINDOW,
            MONITOR_IDLE_TIMEOUT,
            LABEL_TIMEOUT,
            LABEL_STATE_TTL,
            FEATURES_STATE_TTL,
            SHADOW_TIMEOUT)) {
      require(
          !conf.get(d).isNegative() && !conf.get(d).isZero(),
          d,
          "must be positive, got " + conf.get(d));
    }
    for (ConfigOption<Duration> d :
        List.of(
            MONITOR_MAX_OUT_OF_ORDERNESS,
            TRIGGER_COOLDOWN,
            TRIGGER_REQUEST_TIMEOUT,
            TRIGGER_SCHEDULE,
            FEATURES_MAX_OUT_OF_ORDERNESS)) {
      require(!conf.get(d).isNegative(), d, "must be >= 0, got " + conf.get(d));
    }
    require(
        !conf.get(TRIGGER_REQUEST_TIMEOUT).isZero(),
        TRIGGER_REQUEST_TIMEOUT,
        "must be positive, got 0");
    for (ConfigOption<Double> t :
        List.of(
            TRIGGER_PREDICTION_PSI,
            TRIGGER_INPUT_PSI,
            TRIGGER_USER_ACTIVITY_PSI,
            TRIGGER_MOVIE_POPULARITY_PSI,
            TRIGGER_RATING_PSI,
            TRIGGER_OOV_RATE,
            TRIGGER_RMSE_INCREASE)) {
      require(conf.get(t) > 0, t, "must be > 0, got " + conf.get(t));
    }
    require(
        conf.get(TRIGGER_MIN_WINDOW_LABELS) >= 0,
        TRIGGER_MIN_WINDOW_LABELS,
        "must be >= 0, got " + conf.get(TRIGGER_MIN_WINDOW_LABELS));
    require(
        conf.get(TRIGGER_MIN_NEW_LABELS) >= 0,
        TRIGGER_MIN_NEW_LABELS,
        "must be >= 0, got " + conf.get(TRIGGER_MIN_NEW_LABELS));
    require(
        conf.get(TRIGGER_WINDOWS) >= 1,
        TRIGGER_WINDOWS,
        "must be >= 1, got " + conf.get(TRIGGER_WINDOWS));
  }

  /** The shadow trial settings of a configuration (validated). */
  public static ShadowSettings shadowSettings(Configuration conf) {
    validate(conf);
    return new ShadowSettings(
        conf.get(SHADOW_LABELS), conf.get(SHADOW_TIMEOUT), conf.get(SHADOW_MARGIN));
  }

  /** The monitor and trigger settings of a configuration (validated). */
  public static MonitorSettings monitorSettings(Configuration conf) {
    validate(conf);
    return new MonitorSettings(
        conf.get(MONITOR_WINDOW),
        conf.get(MONITOR_MAX_OUT_OF_ORDERNESS),
        conf.get(MONITOR_IDLE_TIMEOUT),
        conf.get(LABEL_TIMEOUT),
        conf.get(LABEL_STATE_TTL),
        conf.get(LABEL_CAPACITY),
        new TriggerPolicy(
            conf.get(TRIGGER_PREDICTION_PSI),
            conf.get(TRIGGER_INPUT_PSI),
            conf.get(TRIGGER_USER_ACTIVITY_PSI),
            conf.get(TRIGGER_MOVIE_POPULARITY_PSI),
            conf.get(TRIGGER_RATING_PSI),
            conf.get(TRIGGER_OOV_RATE),
            conf.get(TRIGGER_RMSE_INCREASE),
            conf.get(TRIGGER_MIN_WINDOW_LABELS),
            conf.get(TRIGGER_MIN_NEW_LABELS),
            conf.get(TRIGGER_WINDOWS),
            conf.get(TRIGGER_COOLDOWN).toMillis(),
            conf.get(TRIGGER_REQUEST_TIMEOUT).toMillis(),
            conf.get(TRIGGER_SCHEDULE).toMillis()));
  }

  /**
   * The Kafka client settings of {@link #KAFKA_CLIENT_PROPERTIES}, empty when it is not set.
   *
   * @throws IllegalArgumentException naming the setting when the file cannot be read
   */
  public static Properties kafkaClientProperties(Configuration conf) {
    Properties p = new Properties();
    String file = conf.get(KAFKA_CLIENT_PROPERTIES);
    if (file == null) {
      return p;
    }
    try (Reader in = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "setting " + KAFKA_CLIENT_PROPERTIES.key() + ": cannot read '" + file + "': " + e, e);
    }
    return p;
  }

  /** The feature settings of a configuration, or null when features are off (validated). */
  public static FeatureSettings featureSettings(Configuration conf) {
    validate(conf);
    if (!conf.get(FEATURES_ENABLED)) {
      require(
          conf.get(FEATURES_FOLD_IN_TABLE) == null,
          FEATURES_FOLD_IN_TABLE,
          "needs " + FEATURES_ENABLED.key());
      return null;
    }
    return new FeatureSettings(
        StreamingFeatures.DEFAULT,
        conf.get(FEATURES_STATE_TTL),
        conf.get(FEATURES_MAX_OUT_OF_ORDERNESS),
        conf.get(MONITOR_IDLE_TIMEOUT),
        foldInTable(conf));
  }

  /**
   * The fold-in table {@link #FEATURES_FOLD_IN_TABLE} names, or null when it is not set.
   *
   * @throws IllegalArgumentException naming the setting when the file cannot be read or is not a
   *     fold-in table
   */
  public static FoldInTable foldInTable(Configuration conf) {
    String uri = conf.get(FEATURES_FOLD_IN_TABLE);
    if (uri == null) {
      return null;
    }
    try {
      org.apache.flink.core.fs.Path path = new org.apache.flink.core.fs.Path(uri);
      try (InputStream in = path.getFileSystem().open(path)) {
        return FoldInTable.read(in, uri);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "setting "
              + FEATURES_FOLD_IN_TABLE.key()
              + ": cannot read '"
              + uri
              + "': "
              + e.getMessage(),
          e);
    }
  }

  private static void require(boolean ok, ConfigOption<?> option, String problem) {
    if (!ok) {
      throw new IllegalArgumentException("setting " + option.key() + " " + problem);
    }
  }
}
