package io.streamrank.streaming.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Partials cross the network sparse when that is shorter, and read back exactly. */
class WindowPartialSerializerTest {
  private static final WindowPartialSerializer S = WindowPartialSerializer.INSTANCE;

  @Test
  void aMostlyEmptyHistogramIsWrittenSparseAndReadsBackExactly() throws IOException {
    double[] acc = new double[1001];
    acc[0] = 3;
    acc[17] = -0.5;
    acc[1000] = Double.NaN;
    WindowPartial p = new WindowPartial("v2", 3_600_000L, 3, acc);
    byte[] bytes = write(p);
    assertThat(bytes.length).isLessThan(100);
    WindowPartial back = read(bytes);
    assertThat(back.modelVersion).isEqualTo("v2");
    assertThat(back.windowStart).isEqualTo(3_600_000L);
    assertThat(back.records).isEqualTo(3);
    assertThat(back.acc).containsExactly(acc);
  }

  @Test
  void aFullAccumulatorIsWrittenDense() throws IOException {
    double[] acc = new double[64];
    for (int i = 0; i < acc.length; i++) {
      acc[i] = i + 1;
    }
    byte[] bytes = write(new WindowPartial("v1", 0, 64, acc));
    assertThat(bytes.length).isLessThan(64 * 8 + 40);
    assertThat(read(bytes).acc).containsExactly(acc);
  }

  @Test
  void nullsAndCopiesAndTheSnapshot() throws IOException {
    WindowPartial empty = read(write(new WindowPartial(null, 0, 0, null)));
    assertThat(empty.modelVersion).isNull();
    assertThat(empty.acc).isNull();
    double[] acc = {1, 0, 2};
    WindowPartial p = new WindowPartial("v", 1, 2, acc);
    WindowPartial copy = S.copy(p);
    acc[0] = 9;
    assertThat(copy.acc).containsExactly(1, 0, 2);
    DataOutputSerializer out = new DataOutputSerializer(64);
    S.copy(new DataInputDeserializer(write(p)), out);
    assertThat(read(out.getCopyOfBuffer()).acc).containsExactly(9, 0, 2);
    assertThat(S.snapshotConfiguration().restoreSerializer()).isSameAs(S);
  }

  @Test
  void anUnknownLayoutIsAnError() throws IOException {
    byte[] bytes = write(new WindowPartial("v", 0, 1, new double[] {1, 2}));
    bytes[bytes.length - 17] = 7; // the layout byte, before two doubles
    assertThatThrownBy(() -> read(bytes)).hasMessageContaining("unknown window partial layout 7");
  }

  private static byte[] write(WindowPartial p) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    S.serialize(p, out);
    return out.getCopyOfBuffer();
  }

  private static WindowPartial read(byte[] bytes) throws IOException {
    return S.deserialize(new DataInputDeserializer(bytes));
  }
}
