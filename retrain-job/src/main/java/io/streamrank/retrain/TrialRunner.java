package io.streamrank.retrain;

import io.streamrank.datasets.Split;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.Trainer;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains one trial and records its learning curve. A trial with a session key resumes the training
 * its configuration's previous trial parked ({@link PausedTrials}) and parks its own unless it is
 * past its best ({@link TrialResult#pastItsBest}): early stopping ended it, or its last epochs only
 * got worse.
 */
public final class TrialRunner {
  private TrialRunner() {}

  /**
   * Runs a trial on a split.
   *
   * @param base the configuration the trial's hyperparameters override
   * @param threads training threads for this trial (a resumed trial keeps its first trial's)
   */
  public static TrialResult run(
      TrialSpec spec, DataSpec.Loaded data, ModelConfig base, int threads) {
    PausedTrials.Paused paused = spec.session() == null ? null : PausedTrials.take(spec.session());
    Trainer.Session session;
    List<Double> curve = new ArrayList<>();
    if (paused != null) {
      session = paused.session();
      curve.addAll(paused.curve());
    } else {
      Split split = data.split();
      ModelConfig cfg =
          SearchSpace.apply(base, spec.point()).toBuilder()
              .threads(threads)
              .numFeatures(data.numFeatures())
              .build();
      session =
          new Trainer()
              .start(split.train(), data.trainFeatures(), split.valid(), data.validFeatures(), cfg);
    }
    int resumed = session.epochs();
    long start = System.nanoTime();
    try {
      session.trainTo(
          spec.budget(),
          (epoch, trainRmse, validRmse) -> {
            curve.add(validRmse);
            return Double.isFinite(validRmse);
          });
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int best = 0;
    for (int i = 1; i < curve.size(); i++) {
      if (curve.get(i) < curve.get(best)) {
        best = i;
      }
    }
    double bestRmse = curve.isEmpty() ? Double.NaN : curve.get(best);
    TrialResult result =
        new TrialResult(
            spec.id(),
            spec.point(),
            spec.budget(),
            curve,
            bestRmse,
            best + 1,
            "completed",
            seconds,
            0,
            resumed,
            0,
            session.stopped(),
            null);
    // A configuration past its best is never promoted, so nothing will resume it.
    if (spec.session() != null && !result.pastItsBest()) {
      PausedTrials.park(spec.session(), session, curve);
    } else {
      session.close();
    }
    return result;
  }
}
