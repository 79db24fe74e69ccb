package io.streamrank.datasets;

/**
 * One explicit rating: a user rated a movie at an event time.
 *
 * @param userId the user's id as the source writes it
 * @param movieId the movie's id as the source writes it
 * @param timestamp event time in epoch seconds
 * @param rating the rating, on the source's scale (MovieLens: 0.5 to 5)
 */
public record Rating(long userId, long movieId, long timestamp, float rating) {}
