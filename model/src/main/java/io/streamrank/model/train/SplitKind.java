package io.streamrank.model.train;

/** How {@link TrainPipeline} splits ratings into train, validation and test. */
public enum SplitKind {
  /** 60/20/20 over the timestamp range (the seed's split; mostly unseen users in test). */
  TIME,
  /** 70/10/20 of the rows after a seeded shuffle. */
  RANDOM
}
