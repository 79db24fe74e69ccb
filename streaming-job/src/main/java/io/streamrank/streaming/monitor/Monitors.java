package io.streamrank.streaming.monitor;

import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.schemas.RetrainRequest;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Adds the monitors to a job: drift and latency over predictions, the prequential join of
 * predictions and ratings with its error monitor, and the retrain trigger over their reports (and
 * the scoring operator's swap reports).
 *
 * <p>Event time: predictions are stamped with their event's time and ratings with theirs, and
 * watermarks are generated after scoring (the scoring operator buffers events, so watermarks from
 * before it could overtake them).
 */
public final class Monitors {
  private Monitors() {}

  /**
   * What the monitors produce.
   *
   * @param reports window reports of every monitor and the trigger's {@code retrain} reports
   * @param retrainRequests the trigger's requests
   * @param labelOutcomes what the prequential join made of each prediction and rating
   */
  public record Outputs(
      DataStream<MonitorReport> reports,
      DataStream<RetrainRequest> retrainRequests,
      DataStream<LabelOutcome> labelOutcomes) {}

  /**
   * Attaches the monitors.
   *
   * @param predictions the scoring operator's output
   * @param ratings labels
   * @param modelReports the scoring operator's swap and rejection reports
   * @param settings windows, join timeout and trigger policy
   * @param references reference of each model version
   */
  public static Outputs attach(
      DataStream<Prediction> predictions,
      DataStream<RatingEvent> ratings,
      DataStream<MonitorReport> modelReports,
      MonitorSettings settings,
      ReferenceSource references) {
    long windowMs = settings.window().toMillis();
    DataStream<Prediction> timedPredictions =
        predictions
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<Prediction>forBoundedOutOfOrderness(settings.maxOutOfOrderness())
                    .withTimestampAssigner((p, t) -> p.getEventTimestamp())
                    .withIdleness(settings.idleTimeout()))
            .uid("prediction-watermarks")
            .name("prediction event time");
    DataStream<RatingEvent> timedRatings =
        ratings
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<RatingEvent>forBoundedOutOfOrderness(
                        settings.maxOutOfOrderness())
                    .withTimestampAssigner((r, t) -> r.getTimestamp())
                    .withIdleness(settings.idleTimeout()))
            .uid("rating-watermarks")
            .name("rating event time");
    SingleOutputStreamOperator<MonitorReport> drift =
        monitor(
            timedPredictions,
            new PredictionDrift(),
            Prediction::getModelVersion,
            windowMs,
            references,
            "drift");
    SingleOutputStreamOperator<MonitorReport> latency =
        monitor(
            timedPredictions,
            new ServingLatency(),
            Prediction::getModelVersion,
            windowMs,
            references,
            "latency");
    SingleOutputStreamOperator<LabelOutcome> outcomes =
        timedPredictions
            .process(
                new LabelRequests(settings.labelCapacity(), settings.labelTimeout().toMillis()),
                Types.POJO(LabelRequest.class))
            .uid("label-requests")
            .name("label requests")
            .keyBy(LabelRequest::getEventId, Types.STRING)
            .connect(timedRatings.keyBy(RatingEvent::getEventId, Types.STRING))
            .process(
                new PrequentialJoin(settings.labelTimeout().toMillis(), settings.labelStateTtl()),
                Types.POJO(LabelOutcome.class))
            .uid("prequential-join")
            .name("prediction-rating join");
    SingleOutputStreamOperator<MonitorReport> error =
        monitor(
            outcomes,
            new PrequentialError(),
            LabelOutcome::getModelVersion,
            windowMs,
            references,
            "error");
    DataStream<MonitorReport> windowReports = drift.union(latency, error);
    DataStream<MonitorReport> swapReports =
        modelReports
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<MonitorReport>forGenerator(c -> new AlwaysIdle<>()))
            .uid("model-report-watermarks")
            .name("model reports, no event time");
    SingleOutputStreamOperator<RetrainRequest> requests =
        windowReports
            .union(swapReports)
            .keyBy(r -> RetrainTrigger.KEY, Types.STRING)
            .process(
                new RetrainTrigger(settings.policy()), new AvroTypeInfo<>(RetrainRequest.class))
            .uid("retrain-trigger")
            .name("retrain trigger")
            .setParallelism(1)
            .setMaxParallelism(1);
    return new Outputs(
        windowReports.union(requests.getSideOutput(RetrainTrigger.REPORTS)), requests, outcomes);
  }

  /**
   * One windowed monitor of a statistic: pre-aggregated on every subtask ({@link PartialWindows},
   * chained to its input, no shuffle of the records), then merged per model version by a {@link
   * WindowedMonitor}. Only the partials are shuffled.
   */
  private static <T> SingleOutputStreamOperator<MonitorReport> monitor(
      DataStream<T> records,
      WindowStatistic<T> statistic,
      KeySelector<T, String> version,
      long windowMs,
      ReferenceSource references,
      String name) {
    return records
        .transform(
            name + " partials",
            WindowPartialSerializer.TYPE,
            new PartialWindows<>(statistic, version, windowMs, references))
        .uid(name + "-partials")
        .keyBy(WindowPartial::getModelVersion, Types.STRING)
        .process(
            new WindowedMonitor<>(new PartialStatistic<>(statistic), windowMs, references),
            new AvroTypeInfo<>(MonitorReport.class))
        .uid(name + "-monitor")
        .name(name + " monitor");
  }
}
