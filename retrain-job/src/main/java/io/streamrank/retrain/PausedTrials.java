package io.streamrank.retrain;

import io.streamrank.model.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Training runs parked between the rungs of successive halving, per JVM: a trial leaves its
 * configuration's {@link Trainer.Session} here under the trial's session key, and the
 * configuration's next trial (a promotion) takes it and trains on from there instead of from
 * scratch. JVM-wide because the trials are Flink tasks, which get no object from the tuner: in the
 * tuner's own cluster ({@link FlinkTrialExecutor#local}) every task runs in the tuner's JVM; on a
 * cluster of several TaskManagers a promotion that lands elsewhere finds nothing and retrains from
 * scratch (the same result, without the saving).
 */
public final class PausedTrials {
  private static final Map<String, Paused> PAUSED = new ConcurrentHashMap<>();

  private PausedTrials() {}

  /**
   * A parked run.
   *
   * @param session the training, {@link Trainer.Session#epochs()} epochs in
   * @param curve its validation RMSE per epoch so far
   */
  record Paused(Trainer.Session session, List<Double> curve) {}

  /** Parks a run under {@code key}, closing any run parked there before. */
  static void park(String key, Trainer.Session session, List<Double> curve) {
    Paused old = PAUSED.put(key, new Paused(session, List.copyOf(curve)));
    if (old != null && old.session() != session) {
      old.session().close();
    }
  }

  /** Takes the run parked under {@code key} (it is no longer parked), or null. */
  static Paused take(String key) {
    return PAUSED.remove(key);
  }

  /**
   * Closes and forgets every run parked under a key that starts with {@code prefix} (a tuning run's
   * id), which the tuner does when its search ends.
   */
  static void release(String prefix) {
    List<String> keys = new ArrayList<>();
    for (String k : PAUSED.keySet()) {
      if (k.startsWith(prefix)) {
        keys.add(k);
      }
    }
    for (String k : keys) {
      Paused p = PAUSED.remove(k);
      if (p != null) {
        p.session().close();
      }
    }
  }

  /** How many runs are parked under keys that start with {@code prefix}. */
  static int parked(String prefix) {
    return (int) PAUSED.keySet().stream().filter(k -> k.startsWith(prefix)).count();
  }
}
