package io.streamrank.schemas;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * The topics streamrank reads and writes, by role, with configurable names.
 *
 * @param events scoring requests, partitioned by user id
 * @param ratings labels arriving after their events, partitioned by user id
 * @param predictions scored events
 * @param modelUpdates model version announcements (compacted)
 * @param modelDecisions shadow trials' promote and drop records, written by the scoring job
 *     (compacted)
 * @param monitoring monitor reports, swaps and rejections
 * @param retrainRequests requests for a new model version
 * @param deadLetters records that could not be decoded or validated, with the reason
 */
public record Topics(
    Topic<Event> events,
    Topic<RatingEvent> ratings,
    Topic<Prediction> predictions,
    Topic<ModelUpdate> modelUpdates,
    Topic<ModelUpdate> modelDecisions,
    Topic<MonitorReport> monitoring,
    Topic<RetrainRequest> retrainRequests,
    Topic<DeadLetter> deadLetters)
    implements Serializable {

  /**
   * Key of every record on {@code model-updates} and {@code model-decisions}: compaction keeps the
   * latest announcement and the latest shadow decision.
   */
  public static final String MODEL_UPDATE_KEY = "streamrank-model";

  /** The default names: {@code events, ratings, predictions, model-updates, ...}. */
  public static Topics defaults() {
    return withPrefix("");
  }

  /** Default names with a prefix, such as {@code "test1."}. */
  public static Topics withPrefix(String prefix) {
    return new Topics(
        new Topic<>(prefix + "events", AvroCodec.of(Event.class)),
        new Topic<>(prefix + "ratings", AvroCodec.of(RatingEvent.class)),
        new Topic<>(
            prefix + "predictions",
            AvroCodec.of(Prediction.class).withWriterSchema(PreviousSchemas.load("Prediction-1"))),
        new Topic<>(
            prefix + "model-updates",
            AvroCodec.of(ModelUpdate.class)
                .withWriterSchema(PreviousSchemas.load("ModelUpdate-1"))),
        new Topic<>(prefix + "model-decisions", AvroCodec.of(ModelUpdate.class)),
        new Topic<>(prefix + "monitoring", AvroCodec.of(MonitorReport.class)),
        new Topic<>(prefix + "retrain-requests", AvroCodec.of(RetrainRequest.class)),
        new Topic<>(prefix + "dead-letters", AvroCodec.of(DeadLetter.class)));
  }

  /** Every topic, in a stable order. */
  public List<Topic<?>> all() {
    return List.of(
        events,
        ratings,
        predictions,
        modelUpdates,
        modelDecisions,
        monitoring,
        retrainRequests,
        deadLetters);
  }

  /** Topic-level settings that differ from the broker's defaults, by topic name. */
  public Map<String, Map<String, String>> topicConfigs() {
    Map<String, String> compacted =
        Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0");
    return Map.of(modelUpdates.name(), compacted, modelDecisions.name(), compacted);
  }
}
