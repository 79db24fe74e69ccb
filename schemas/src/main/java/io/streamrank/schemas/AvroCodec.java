package io.streamrank.schemas;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Avro single-object encoding for one record type: a two-byte marker, the schema's 64-bit
 * fingerprint, then the binary body. A reader can therefore tell a record of another schema, or
 * random bytes, from a good one; {@link #decode} reports which instead of throwing.
 *
 * <p>Older writer schemas can be registered with {@link #withWriterSchema} so a reader decodes
 * records written before (or after) a compatible schema change.
 *
 * @param <T> the generated record class
 */
public final class AvroCodec<T extends SpecificRecordBase> implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The generated classes' own encode and decode methods ({@code customEncode}/{@code
   * customDecode}) in place of reflection over {@code get(int)}/{@code put(int, Object)}, which
   * boxes every long field of every record (the biggest allocation site on the scoring thread).
   */
  private static final SpecificData CUSTOM_CODERS = customCoders();

  /** Largest payload decoded; anything bigger is a dead letter, not an allocation. */
  public static final int MAX_RECORD_BYTES = 1 << 20;

  private final Class<T> type;
  private final String[] extraWriterSchemas;
  private transient BinaryMessageEncoder<T> encoder;
  private transient BinaryMessageDecoder<T> decoder;
  private transient java.util.Map<Long, Schema> writerSchemas;

  private AvroCodec(Class<T> type, String[] extraWriterSchemas) {
    this.type = type;
    this.extraWriterSchemas = extraWriterSchemas;
  }

  /** A codec for a generated record class. */
  public static <T extends SpecificRecordBase> AvroCodec<T> of(Class<T> type) {
    return new AvroCodec<>(type, new String[0]);
  }

  /** This codec, also able to read records written with {@code writerSchema}. */
  public AvroCodec<T> withWriterSchema(Schema writerSchema) {
    String[] more = java.util.Arrays.copyOf(extraWriterSchemas, extraWriterSchemas.length + 1);
    more[more.length - 1] = writerSchema.toString();
    return new AvroCodec<>(type, more);
  }

  public Class<T> type() {
    return type;
  }

  /** The reader schema. */
  public Schema schema() {
    return SpecificData.get().getSchema(type);
  }

  /** The schema's CRC-64-AVRO fingerprint, as written in every record's header. */
  public long fingerprint() {
    return SchemaNormalization.parsingFingerprint64(schema());
  }

  /** Encodes one record. */
  public byte[] encode(T record) {
    try {
      ByteBuffer buffer = encoder().encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    }
  }

  /**
   * Decodes one record; never throws. Null or empty input, a missing marker, an unknown schema
   * fingerprint, a truncated body, an impossible length and trailing garbage are all failures with
   * a reason.
   */
  public Decoded<T> decode(byte[] bytes) {
    String what = type.getSimpleName();
    if (bytes == null || bytes.length == 0) {
      return Decoded.failed("empty record, expected a single-object encoded " + what);
    }
    if (bytes.length > MAX_RECORD_BYTES) {
      return Decoded.failed(
          "record of " + bytes.length + " bytes exceeds the limit of " + MAX_RECORD_BYTES);
    }
    if (bytes.length < 10 || bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
      return Decoded.failed(
          "not Avro single-object encoding: expected marker C3 01 and an 8-byte fingerprint, found "
              + head(bytes));
    }
    long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Schema writer = writerSchemas().get(fingerprint);
    if (writer == null) {
      return Decoded.failed(
          "unknown schema fingerprint "
              + Long.toHexString(fingerprint)
              + ", expected "
              + what
              + " ("
              + Long.toHexString(fingerprint())
              + ")");
    }
    String problem = BodyScanner.check(writer, bytes, 10);
    if (problem != null) {
      return Decoded.failed("corrupt " + what + " record: " + problem);
    }
    try {
      return Decoded.ok(decoder().decode(bytes));
    } catch (IOException | RuntimeException e) {
      return Decoded.failed("corrupt " + what + " record: " + e);
    }
  }

  private static String head(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(10, bytes.length); i++) {
      s.append(String.format("%02X ", bytes[i]));
    }
    return s.append(bytes.length > 10 ? "..." : "").toString().strip();
  }

  private static SpecificData customCoders() {
    SpecificData data = new SpecificData();
    data.setCustomCoders(true);
    return data;
  }

  private BinaryMessageEncoder<T> encoder() {
    if (encoder == null) {
      encoder = new BinaryMessageEncoder<>(CUSTOM_CODERS, schema());
    }
    return encoder;
  }

  private java.util.Map<Long, Schema> writerSchemas() {
    if (writerSchemas == null) {
      java.util.Map<Long, Schema> m = new java.util.HashMap<>();
      m.put(fingerprint(), schema());
      for (String s : extraWriterSchemas) {
        Schema writer = new Schema.Parser().parse(s);
        m.put(SchemaNormalization.parsingFingerprint64(writer), writer);
      }
      writerSchemas = m;
    }
    return writerSchemas;
  }

  private BinaryMessageDecoder<T> decoder() {
    if (decoder == null) {
      BinaryMessageDecoder<T> d = new BinaryMessageDecoder<>(CUSTOM_CODERS, schema());
      for (String s : extraWriterSchemas) {
        d.addSchema(new Schema.Parser().parse(s));
      }
      decoder = d;
    }
    return decoder;
  }
}
