package io.streamrank.schemas;

import org.apache.avro.Schema;

/**
 * Walks an Avro binary body against its writer schema without allocating anything, so a corrupt
 * length prefix (say, a string claiming two gigabytes) is reported instead of allocated, and a body
 * that ends early or carries trailing bytes is caught.
 */
final class BodyScanner {
  private final byte[] bytes;
  private int pos;

  private BodyScanner(byte[] bytes, int pos) {
    this.bytes = bytes;
    this.pos = pos;
  }

  /** Returns null when the body from {@code offset} is exactly one datum of {@code schema}. */
  static String check(Schema schema, byte[] bytes, int offset) {
    BodyScanner s = new BodyScanner(bytes, offset);
    try {
      s.skip(schema, schema.getFullName());
    } catch (Corrupt e) {
      return e.getMessage();
    }
    if (s.pos != bytes.length) {
      return (bytes.length - s.pos) + " trailing bytes after the record";
    }
    return null;
  }

  private void skip(Schema schema, String path) {
    switch (schema.getType()) {
      case RECORD -> {
        for (Schema.Field f : schema.getFields()) {
          skip(f.schema(), f.name());
        }
      }
      case NULL -> {}
      case BOOLEAN -> need(1, path);
      case INT, LONG, ENUM -> varint(path);
      case FLOAT -> need(4, path);
      case DOUBLE -> need(8, path);
      case FIXED -> need(schema.getFixedSize(), path);
      case STRING, BYTES -> need(length(path), path);
      case UNION -> {
        long branch = varint(path);
        if (branch < 0 || branch >= schema.getTypes().size()) {
          throw new Corrupt("field " + path + ": union branch " + branch + " does not exist");
        }
        skip(schema.getTypes().get((int) branch), path);
      }
      case ARRAY, MAP -> {
        long count;
        while ((count = varint(path)) != 0) {
          if (count < 0) {
            count = -count;
            length(path); // a negative count is followed by the block's byte size
          }
          if (count > bytes.length - pos) {
            throw new Corrupt("field " + path + ": block of " + count + " items in a short record");
          }
          for (long i = 0; i < count; i++) {
            if (schema.getType() == Schema.Type.MAP) {
              need(length(path), path);
              skip(schema.getValueType(), path);
            } else {
              skip(schema.getElementType(), path);
            }
          }
        }
      }
    }
  }

  private int length(String path) {
    long n = varint(path);
    if (n < 0 || n > bytes.length - pos) {
      throw new Corrupt(
          "field " + path + ": length " + n + " but only " + (bytes.length - pos) + " bytes left");
    }
    return (int) n;
  }

  private void need(int n, String path) {
    if (n > bytes.length - pos) {
      throw new Corrupt("field " + path + ": record truncated");
    }
    pos += n;
  }

  private long varint(String path) {
    long raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.length) {
        throw new Corrupt("field " + path + ": record truncated");
      }
      int b = bytes[pos++] & 0xFF;
      raw |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new Corrupt("field " + path + ": variable-length integer longer than 10 bytes");
  }

  private static final class Corrupt extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Corrupt(String message) {
      super(message, null, false, false);
    }
  }
}
