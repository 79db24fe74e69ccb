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

  /**
   * Ratings need the id of the event they label, non-negative ids and event time, and a finite,
   * non-negative rating.
   */
  static RecordValidator<RatingEvent> ratings() {
    return r -> {
      if (r.getEventId().isBlank()) {
        return "invalid rating: event_id is blank";
      }
      if (r.getUserId() < 0) {
        return "invalid rating: user_id is negative: " + r.getUserId();
      }
      if (r.getMovieId() < 0) {
        return "invalid rating: movie_id is negative: " + r.getMovieId();
      }
      if (r.getTimestamp() < 0) {
        return "invalid rating: timestamp is negative: " + r.getTimestamp();
      }
      if (!Float.isFinite(r.getRating()) || r.getRating() < 0) {
        return "invalid rating: rating must be finite and >= 0, got " + r.getRating();
      }
      return null;
    };
  }
}
