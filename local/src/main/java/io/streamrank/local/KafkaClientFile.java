package io.streamrank.local;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Kafka client settings for the command line's clients: a properties file (security.protocol,
 * sasl.mechanism, sasl.jaas.config, ssl.*) given with {@code --kafka-properties}, and the brokers
 * given with {@code --bootstrap-servers}, which wins.
 */
final class KafkaClientFile {
  static final String OPTION = "--kafka-properties";

  private KafkaClientFile() {}

  /**
   * @param file the properties file, or null for none
   * @throws IllegalArgumentException naming the option when the file is missing
   */
  static Properties load(Path file, String bootstrapServers) {
    Properties p = new Properties();
    if (file != null) {
      StreamrankCli.require(
          Files.isRegularFile(file), OPTION + ": no file at " + file.toAbsolutePath());
      try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException(OPTION + ": cannot read " + file.toAbsolutePath(), e);
      }
    }
    p.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }
}
