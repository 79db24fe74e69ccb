package io.streamrank.local;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Records this JVM's stop-the-world garbage-collection pauses while open, from the JVM's own GC
 * notifications, so a benchmark can say whether its longest gaps were GC pauses. Concurrent cycles
 * (ZGC's and Shenandoah's "Cycles" collectors) are not pauses and are left out.
 */
final class GcPauses implements AutoCloseable {
  /**
   * One pause.
   *
   * @param endEpochMs wall time the pause ended
   * @param durationMs its length
   * @param collector the collector's name, e.g. "G1 Young Generation"
   */
  record Pause(long endEpochMs, long durationMs, String collector) {}

  private final long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
  private final List<Pause> pauses = new ArrayList<>();
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener = (n, handback) -> record(n.getUserData());

  GcPauses() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter && !gc.getName().contains("Cycles")) {
        emitter.addNotificationListener(
            listener,
            n ->
                n.getType()
                    .equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION),
            null);
        emitters.add(emitter);
      }
    }
  }

  private void record(Object userData) {
    var info = GarbageCollectionNotificationInfo.from((CompositeData) userData);
    var gc = info.getGcInfo();
    synchronized (pauses) {
      pauses.add(new Pause(jvmStart + gc.getEndTime(), gc.getDuration(), info.getGcName()));
    }
  }

  /** The longest pause that ended in [{@code fromEpochMs}, {@code toEpochMs}], or null. */
  Pause longestEndingBetween(long fromEpochMs, long toEpochMs) {
    synchronized (pauses) {
      Pause longest = null;
      for (Pause p : pauses) {
        if (p.endEpochMs() >= fromEpochMs
            && p.endEpochMs() <= toEpochMs
            && (longest == null || p.durationMs() > longest.durationMs())) {
          longest = p;
        }
      }
      return longest;
    }
  }

  @Override
  public void close() {
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(listener);
      } catch (javax.management.ListenerNotFoundException ignored) {
        // never added: nothing to remove
      }
    }
  }
}
