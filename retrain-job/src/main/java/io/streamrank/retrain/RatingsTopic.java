package io.streamrank.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * A bounded slice of the {@code ratings} topic ({@code RatingEvent} records) to train on. Offsets
 * bound it per partition: a partition missing from {@code startOffsets} is read from its earliest
 * offset; with {@code endOffsets} null the slice ends at each partition's end offset when it is
 * {@linkplain #pinned pinned}, which the tuner does once so every parallel trial reads the same
 * records. Event-time bounds come from the {@link DataSpec}'s window.
 *
 * @param bootstrapServers Kafka brokers
 * @param topic the ratings topic's name
 * @param startOffsets first offset read per partition (inclusive), or null for the earliest
 * @param endOffsets offset per partition at which reading stops (exclusive), or null for the end
 */
public record RatingsTopic(
    @JsonProperty("bootstrap_servers") String bootstrapServers,
    @JsonProperty("topic") String topic,
    @JsonProperty("start_offsets") Map<Integer, Long> startOffsets,
    @JsonProperty("end_offsets") Map<Integer, Long> endOffsets) {

  /** Checks the settings and copies the offset maps. */
  public RatingsTopic {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("ratings topic: bootstrap servers must not be blank");
    }
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("ratings topic: topic name must not be blank");
    }
    startOffsets = checked("start", startOffsets);
    endOffsets = checked("end", endOffsets);
  }

  /** All of a topic, up to its end when pinned. */
  public static RatingsTopic of(String bootstrapServers, String topic) {
    return new RatingsTopic(bootstrapServers, topic, null, null);
  }

  /** This slice with both ends fixed: the start at earliest and the end at the current end. */
  public RatingsTopic pinned() {
    return endOffsets != null ? this : TopicWindowReader.pin(this);
  }

  /**
   * Parses {@code "0:120,1:80"} (partition:offset pairs) as the command line writes offsets.
   *
   * @param what which bound, for the error message
   */
  public static Map<Integer, Long> parseOffsets(String what, String text) {
    Map<Integer, Long> m = new TreeMap<>();
    for (String pair : text.split(",")) {
      String[] pq = pair.strip().split(":");
      try {
        if (pq.length != 2) {
          throw new NumberFormatException();
        }
        m.put(Integer.parseInt(pq[0].strip()), Long.parseLong(pq[1].strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            what
                + " offsets: expected partition:offset pairs such as 0:120,1:80, got '"
                + text
                + "'");
      }
    }
    return checked(what, m);
  }

  private static Map<Integer, Long> checked(String what, Map<Integer, Long> offsets) {
    if (offsets == null) {
      return null;
    }
    for (Map.Entry<Integer, Long> e : offsets.entrySet()) {
      if (e.getKey() < 0 || e.getValue() < 0) {
        throw new IllegalArgumentException(
            what
                + " offsets: partitions and offsets must be >= 0, got "
                + e.getKey()
                + ":"
                + e.getValue());
      }
    }
    return Map.copyOf(new TreeMap<>(offsets));
  }
}
