package io.streamrank.datasets;

import java.util.List;

/**
 * A train / validation / test partition of ratings.
 *
 * @param train rows the model learns from
 * @param valid rows for early stopping and tuning
 * @param test rows held out for the final report
 */
public record Split(List<Rating> train, List<Rating> valid, List<Rating> test) {}
