package io.streamrank.schemas;

import java.io.IOException;
import java.io.InputStream;
import org.apache.avro.Schema;

/**
 * Writer schemas of earlier releases, kept as resources under {@code previous/} so a reader of the
 * current schema still decodes records written before a field was added (old announcements on the
 * compacted {@code model-updates} topic, old predictions).
 */
final class PreviousSchemas {
  private PreviousSchemas() {}

  /**
   * Reads {@code previous/NAME.avsc}.
   *
   * @throws IllegalStateException when the resource is missing or not a schema
   */
  static Schema load(String name) {
    String resource = "previous/" + name + ".avsc";
    try (InputStream in = PreviousSchemas.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing schema resource " + resource);
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read schema resource " + resource, e);
    }
  }
}
