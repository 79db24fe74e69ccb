package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.RatingsTopic;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The retrain job reads its data window from the {@code ratings} topic of a real (in-process)
 * broker: by event time, by offsets, pinned while the topic grows, and end to end through {@code
 * ./streamrank retrain}.
 */
class RetrainFromTopicTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A produced rating and where it landed. */
  private record Sent(Rating rating, int partition, long offset) {}

  @Test
  void readsTheTopicByEventTimeAndByOffsetsAndSkipsRecordsThatAreNotRatings() throws Exception {
    List<Rating> ratings = ratings(3_000);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Topics topics = Topics.withPrefix("read.");
      kafka.createTopics(topics, 2);
      String servers = kafka.bootstrapServers();
      List<Sent> sent = produce(servers, topics, ratings, true);
      DataSpec all = DataSpec.topic(RatingsTopic.of(servers, topics.ratings().name()), "time");

      List<Rating> read = all.ratings();
      assertThat(read).containsExactlyInAnyOrderElementsOf(ratings);
      assertThat(read).isSortedAccordingTo(Comparator.comparingLong(Rating::timestamp));

      long from = ratings.get(1_000).timestamp();
      long to = ratings.get(1_999).timestamp();
      assertThat(all.window(from, to).ratings())
          .isNotEmpty()
          .containsExactlyInAnyOrderElementsOf(
              ratings.stream().filter(r -> r.timestamp() >= from && r.timestamp() <= to).toList());

      // Offsets: the second half of partition 0, partition 1 up to (not including) offset 100.
      Map<Integer, Long> ends = new TreeMap<>();
      for (Sent s : sent) {
        ends.merge(s.partition, s.offset + 1, Math::max);
      }
      long half = ends.get(0) / 2;
      DataSpec slice =
          DataSpec.topic(
              new RatingsTopic(
                  servers,
                  topics.ratings().name(),
                  Map.of(0, half),
                  Map.of(0, ends.get(0), 1, 100L)),
              "time");
      assertThat(slice.ratings())
          .containsExactlyInAnyOrderElementsOf(
              sent.stream()
                  .filter(
                      s ->
                          (s.partition == 0 && s.offset >= half)
                              || (s.partition == 1 && s.offset < 100))
                  .map(Sent::rating)
                  .toList());

      // A pinned slice keeps its records while the topic grows.
      DataSpec pinned = all.pinned();
      produce(servers, topics, ratings(50), false);
      assertThat(pinned.ratings()).hasSameSizeAs(ratings);
      assertThat(all.ratings()).hasSize(ratings.size() + 50);
    }
  }

  @Test
  void retrainCommandTunesOnATopicWindowThenPublishesAnnouncesAndWritesItsReport(@TempDir Path tmp)
      throws Exception {
    List<Rating> ratings = ratings(2_000);
    Path registry = tmp.resolve("registry");
    Path reports = tmp.resolve("reports");
    long from = ratings.get(200).timestamp();
    long to = ratings.get(1_800).timestamp();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Topics topics = Topics.withPrefix("cli.");
      kafka.createTopics(topics, 2);
      String servers = kafka.bootstrapServers();
      produce(servers, topics, ratings, false);
      StringWriter err = new StringWriter();
      assertThat(
              run(
                  err,
                  "retrain",
                  "--bootstrap-servers",
                  servers,
                  "--topic-prefix",
                  "cli.",
                  "--registry",
                  registry.toString(),
                  "--from",
                  Instant.ofEpochSecond(from).toString(),
                  "--to",
                  Long.toString(to * 1000),
                  "--budget",
                  "1",
                  "--epochs",
                  "1",
                  "--parallelism",
                  "1",
                  "--algo",
                  "random",
                  "--pruner",
                  "none",
                  "--request-id",
                  "by-hand",
                  "--out",
                  reports.toString()))
          .as(err.toString())
          .isZero();
      ModelRegistry models = new ModelRegistry(registry.toUri().toString());
      assertThat(models.versions()).containsExactly("r-by-hand");
      Manifest.DataWindow window = models.load("r-by-hand").manifest().dataWindow();
      assertThat(Instant.parse(window.start())).isAfterOrEqualTo(Instant.ofEpochSecond(from));
      assertThat(Instant.parse(window.end())).isBeforeOrEqualTo(Instant.ofEpochSecond(to));
      JsonNode report = JSON.readTree(reports.resolve("r-by-hand/tuning.json").toFile());
      assertThat(report.get("data").get("window_start").asLong()).isEqualTo(from);
      assertThat(report.get("data").get("ratings_topic").get("topic").asText())
          .isEqualTo("cli.ratings");
      assertThat(report.get("trials")).hasSize(1);
      assertThat(reports.resolve("r-by-hand/learning_curves.svg")).exists();
      assertThat(announced(servers, topics))
          .extracting(ModelUpdate::getVersion)
          .containsExactly("r-by-hand");

      // Bad input names the option.
      StringWriter bad = new StringWriter();
      assertThat(
              run(
                  bad,
                  "retrain",
                  "--registry",
                  registry.toString(),
                  "--bootstrap-servers",
                  servers,
                  "--start-offsets",
                  "zero"))
          .isEqualTo(2);
      assertThat(bad.toString()).contains("--start-offsets").contains("partition:offset");
    }
  }

  private static List<Rating> ratings(int n) {
    return new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(n))
        .generate()
        .ratings();
  }

  /** Sends each rating as a RatingEvent keyed by user; optionally one corrupt record first. */
  private static List<Sent> produce(
      String servers, Topics topics, List<Rating> ratings, boolean corrupt) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", servers);
    p.put("acks", "all");
    List<java.util.concurrent.Future<RecordMetadata>> acks = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      String topic = topics.ratings().name();
      if (corrupt) {
        producer.send(new ProducerRecord<>(topic, 0, "x", new byte[] {1, 2, 3})).get();
      }
      for (Rating r : ratings) {
        RatingEvent e =
            RatingEvent.newBuilder()
                .setEventId("e" + acks.size())
                .setUserId(r.userId())
                .setMovieId(r.movieId())
                .setTimestamp(r.timestamp() * 1000)
                .setRating(r.rating())
                .build();
        acks.add(
            producer.send(
                new ProducerRecord<>(
                    topic, Long.toString(r.userId()), topics.ratings().codec().encode(e))));
      }
    }
    List<Sent> sent = new ArrayList<>();
    for (int i = 0; i < ratings.size(); i++) {
      RecordMetadata m = acks.get(i).get();
      sent.add(new Sent(ratings.get(i), m.partition(), m.offset()));
    }
    return sent;
  }

  private static List<ModelUpdate> announced(String servers, Topics topics) {
    Properties p = new Properties();
    p.put("bootstrap.servers", servers);
    p.put("group.id", "retrain-from-topic-test");
    p.put("auto.offset.reset", "earliest");
    List<ModelUpdate> out = new ArrayList<>();
    try (var c =
        new KafkaConsumer<>(p, new StringDeserializer(), topics.modelUpdates().deserializer())) {
      c.subscribe(List.of(topics.modelUpdates().name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (out.isEmpty() && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }

  private static int run(StringWriter err, String... args) {
    CommandLine cl = StreamrankCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }
}
