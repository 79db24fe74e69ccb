package io.streamrank.schemas;

import java.io.Serializable;

/**
 * Checks a decoded record's values; a record that decodes but cannot be used becomes a dead letter
 * with the validator's reason.
 *
 * @param <T> the record type
 */
@FunctionalInterface
public interface RecordValidator<T> extends Serializable {
  /** Returns why the record is unusable, or null when it is fine. */
  String problem(T record);

  /** Accepts everything. */
  static <T> RecordValidator<T> none() {
    return r -> null;
  }

  /** Events need an id, non-negative ids and a non-negative event time. */
  static RecordValidator<Event> events() {
    return e -> {
      if (e.getEventId().isBlank()) {
        return "invalid event: event_id is blank";
      }
      if (e.getUserId() < 0) {
        return "invalid event: user_id is negative: " + e.getUserId();
      }
      if (e.getMovieId() < 0) {
        return "invalid event: movie_id is negative: " + e.getMovieId();
      }
      if (e.getTimestamp() < 0) {
        return "invalid event: timestamp is negative: " + e.getTimestamp();
      }
      return null;
    };
  }
}
