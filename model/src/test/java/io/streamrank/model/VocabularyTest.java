package io.streamrank.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VocabularyTest {
  @Test
  void mapsIdsToRowsFromOneAndUnknownToZero() {
    Vocabulary v = Vocabulary.of(new long[] {10, -3, 1L << 40, 0});
    assertThat(v.size()).isEqualTo(5);
    assertThat(v.row(10)).isEqualTo(1);
    assertThat(v.row(-3)).isEqualTo(2);
    assertThat(v.row(1L << 40)).isEqualTo(3);
    assertThat(v.row(0)).isEqualTo(4);
    assertThat(v.row(11)).isZero();
    assertThat(v.row(Long.MIN_VALUE)).isZero();
    assertThat(v.id(3)).isEqualTo(1L << 40);
    assertThat(v.minId()).isEqualTo(-3);
    assertThat(v.maxId()).isEqualTo(1L << 40);
  }

  @Test
  void manyIdsAllFound() {
    long[] ids = new long[10_000];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i * 7919L;
    }
    Vocabulary v = Vocabulary.of(ids);
    for (int i = 0; i < ids.length; i++) {
      assertThat(v.row(ids[i])).isEqualTo(i + 1);
    }
    assertThat(v.row(1)).isZero();
  }

  @Test
  void rejectsDuplicates() {
    assertThatThrownBy(() -> Vocabulary.of(new long[] {1, 2, 1}))
        .hasMessageContaining("duplicate id 1");
  }
}
