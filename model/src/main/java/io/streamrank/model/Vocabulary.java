package io.streamrank.model;

import java.util.Arrays;

/**
 * Maps raw ids to embedding rows, immutable. Row 0 is the out-of-vocabulary row: {@link #row(long)}
 * returns 0 for any id it does not know; known ids take rows 1..{@link #size()}-1 in the order
 * given to {@link #of(long[])}.
 */
public final class Vocabulary {
  private static final long EMPTY = Long.MIN_VALUE;

  private final long[] ids;
  // Open addressing, linear probing; keys[i] == EMPTY marks a free slot, so Long.MIN_VALUE
  // cannot be an id (checked in of()).
  private final long[] keys;
  private final int[] rows;
  private final int mask;

  private Vocabulary(long[] ids) {
    this.ids = ids;
    int cap = Integer.highestOneBit(Math.max(4, ids.length * 2 - 1)) << 1;
    this.keys = new long[cap];
    this.rows = new int[cap];
    this.mask = cap - 1;
    Arrays.fill(keys, EMPTY);
    for (int i = 0; i < ids.length; i++) {
      long id = ids[i];
      int slot = slot(id);
      while (keys[slot] != EMPTY) {
        if (keys[slot] == id) {
          throw new IllegalArgumentException("duplicate id " + id + " in vocabulary");
        }
        slot = (slot + 1) & mask;
      }
      keys[slot] = id;
      rows[slot] = i + 1;
    }
  }

  /**
   * A vocabulary whose row {@code i + 1} is {@code ids[i]}.
   *
   * @throws IllegalArgumentException on a duplicate id or {@link Long#MIN_VALUE}
   */
  public static Vocabulary of(long[] ids) {
    for (long id : ids) {
      if (id == EMPTY) {
        throw new IllegalArgumentException("Long.MIN_VALUE cannot be an id");
      }
    }
    return new Vocabulary(ids.clone());
  }

  /** The row of an id, 0 when the id is unknown. */
  public int row(long id) {
    if (id == EMPTY) {
      return 0;
    }
    int slot = slot(id);
    while (true) {
      long k = keys[slot];
      if (k == id) {
        return rows[slot];
      }
      if (k == EMPTY) {
        return 0;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Whether the id has its own row. */
  public boolean contains(long id) {
    return row(id) != 0;
  }

  /** Number of rows, the out-of-vocabulary row included. */
  public int size() {
    return ids.length + 1;
  }

  /** The id of a row {@code >= 1}. */
  public long id(int row) {
    return ids[row - 1];
  }

  /** The known ids, in row order (a copy). */
  public long[] ids() {
    return ids.clone();
  }

  /** The smallest known id, or -1 when the vocabulary is empty. */
  public long minId() {
    long min = Long.MAX_VALUE;
    for (long id : ids) {
      min = Math.min(min, id);
    }
    return ids.length == 0 ? -1 : min;
  }

  /** The largest known id, or -1 when the vocabulary is empty. */
  public long maxId() {
    long max = Long.MIN_VALUE;
    for (long id : ids) {
      max = Math.max(max, id);
    }
    return ids.length == 0 ? -1 : max;
  }

  private int slot(long id) {
    long h = id * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
