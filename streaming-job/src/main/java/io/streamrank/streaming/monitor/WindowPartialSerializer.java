package io.streamrank.streaming.monitor;

import java.io.IOException;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Writes a {@link WindowPartial} with only the non-zero cells of its accumulator when that is
 * shorter. A partial covers the records of one window since the subtask's last flush; a histogram
 * statistic (the serving-latency one has 1,001 cells) then has few non-zero cells, and a replay of
 * history puts hundreds of event-time windows into one flush. Written densely, the flush before a
 * checkpoint barrier filled the scoring task's output buffers and held up scoring (issue #5's
 * gaps). Partials are never kept in state, only sent between operators.
 */
public final class WindowPartialSerializer extends TypeSerializerSingleton<WindowPartial> {
  private static final long serialVersionUID = 1L;

  /** The one instance. */
  public static final WindowPartialSerializer INSTANCE = new WindowPartialSerializer();

  /** The type information to declare on the partials' stream. */
  public static final TypeInformation<WindowPartial> TYPE = new Info();

  private static final byte DENSE = 0;
  private static final byte SPARSE = 1;

  private WindowPartialSerializer() {}

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public WindowPartial createInstance() {
    return new WindowPartial();
  }

  @Override
  public WindowPartial copy(WindowPartial from) {
    return new WindowPartial(
        from.modelVersion,
        from.windowStart,
        from.records,
        from.acc == null ? null : from.acc.clone());
  }

  @Override
  public WindowPartial copy(WindowPartial from, WindowPartial reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(WindowPartial p, DataOutputView out) throws IOException {
    StringValue.writeString(p.modelVersion, out);
    out.writeLong(p.windowStart);
    out.writeLong(p.records);
    double[] acc = p.acc;
    out.writeInt(acc == null ? -1 : acc.length);
    if (acc == null) {
      return;
    }
    int nonZero = 0;
    for (double v : acc) {
      if (v != 0) {
        nonZero++;
      }
    }
    // A sparse cell is an int index and a double (12 bytes), a dense one a double (8).
    if (nonZero * 12L < acc.length * 8L) {
      out.writeByte(SPARSE);
      out.writeInt(nonZero);
      for (int i = 0; i < acc.length; i++) {
        if (acc[i] != 0) {
          out.writeInt(i);
          out.writeDouble(acc[i]);
        }
      }
    } else {
      out.writeByte(DENSE);
      for (double v : acc) {
        out.writeDouble(v);
      }
    }
  }

  @Override
  public WindowPartial deserialize(DataInputView in) throws IOException {
    String version = StringValue.readString(in);
    long windowStart = in.readLong();
    long records = in.readLong();
    int length = in.readInt();
    double[] acc = length < 0 ? null : new double[length];
    if (acc != null) {
      byte layout = in.readByte();
      if (layout == SPARSE) {
        int cells = in.readInt();
        for (int c = 0; c < cells; c++) {
          int i = in.readInt();
          acc[i] = in.readDouble();
        }
      } else if (layout == DENSE) {
        for (int i = 0; i < length; i++) {
          acc[i] = in.readDouble();
        }
      } else {
        throw new IOException("unknown window partial layout " + layout);
      }
    }
    return new WindowPartial(version, windowStart, records, acc);
  }

  @Override
  public WindowPartial deserialize(WindowPartial reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  @Override
  public TypeSerializerSnapshot<WindowPartial> snapshotConfiguration() {
    return new Snapshot();
  }

  /** The serializer's snapshot: it has no configuration. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<WindowPartial> {
    public Snapshot() {
      super(() -> INSTANCE);
    }
  }

  /** Type information that names this serializer. */
  private static final class Info extends TypeInformation<WindowPartial> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isBasicType() {
      return false;
    }

    @Override
    public boolean isTupleType() {
      return false;
    }

    @Override
    public int getArity() {
      return 1;
    }

    @Override
    public int getTotalFields() {
      return 1;
    }

    @Override
    public Class<WindowPartial> getTypeClass() {
      return WindowPartial.class;
    }

    @Override
    public boolean isKeyType() {
      return false;
    }

    @Override
    public TypeSerializer<WindowPartial> createSerializer(SerializerConfig config) {
      return INSTANCE;
    }

    @Override
    public String toString() {
      return "WindowPartial(sparse)";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Info;
    }

    @Override
    public int hashCode() {
      return Info.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
      return o instanceof Info;
    }
  }
}
