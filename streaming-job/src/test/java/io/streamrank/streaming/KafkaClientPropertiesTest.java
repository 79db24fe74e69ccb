package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamrank.kafka.client-properties}: a file of Kafka client settings for every client. */
class KafkaClientPropertiesTest {
  @Test
  void readsTheFileNamedOnTheCommandLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n");
    Configuration conf =
        KafkaScoringJob.parseArgs(
            new String[] {"--" + ScoringOptions.KAFKA_CLIENT_PROPERTIES.key(), file.toString()});
    Properties p = ScoringOptions.kafkaClientProperties(conf);
    assertThat(p)
        .containsEntry("security.protocol", "SASL_PLAINTEXT")
        .containsEntry("sasl.mechanism", "PLAIN")
        .hasSize(2);
  }

  @Test
  void noFileMeansNoExtraSettings() {
    assertThat(ScoringOptions.kafkaClientProperties(new Configuration())).isEmpty();
  }

  @Test
  void anUnreadableFileIsNamedWithTheSetting(@TempDir Path dir) {
    Configuration conf = new Configuration();
    String missing = dir.resolve("missing.properties").toString();
    conf.set(ScoringOptions.KAFKA_CLIENT_PROPERTIES, missing);
    assertThatThrownBy(() -> ScoringOptions.kafkaClientProperties(conf))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("streamrank.kafka.client-properties")
        .hasMessageContaining(missing);
  }
}
