package io.streamrank.local;

import io.streamrank.schemas.Topic;
import io.streamrank.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (one combined broker/controller node) started in this
 * process from Kafka's own server classes ({@link KafkaRaftServer}), with a temporary data
 * directory removed on close. Every listener (client and controller) binds to the given host,
 * 127.0.0.1 by default; nothing listens on the wildcard address.
 *
 * <p>{@link #startSecured} starts it the way the docker-compose cluster runs Kafka: SASL/PLAIN on
 * every listener, the {@code StandardAuthorizer}, {@code allow.everyone.if.no.acl.found=false} and
 * {@code admin} as the only super user.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  /** The host every listener binds to unless told otherwise. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  private static final int NODE_ID = 1;
  private static final String BROKER_LISTENER = "PLAINTEXT";
  private static final String SASL_LISTENER = "SASL";

  /** The super user of a secured broker ({@link #startSecured}). */
  public static final String ADMIN_USER = "admin";

  private static final String PLAIN_LOGIN_MODULE =
      "org.apache.kafka.common.security.plain.PlainLoginModule required";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final int START_ATTEMPTS = 3;
  private static final long READY_TIMEOUT_MS = 60_000;

  private final KafkaRaftServer server;
  private final Path dataDir;
  private final String bootstrapServers;
  private final int port;
  private final int controllerPort;
  private final Map<String, String> users;
  private boolean closed;

  private EmbeddedKafka(
      KafkaRaftServer server,
      Path dataDir,
      String host,
      int port,
      int controllerPort,
      Map<String, String> users) {
    this.server = server;
    this.dataDir = dataDir;
    this.users = users;
    this.bootstrapServers = hostForAddress(host) + ":" + port;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /** Starts a single-node KRaft broker on 127.0.0.1 (free ports) and waits until it is ready. */
  public static EmbeddedKafka start() throws Exception {
    return start(DEFAULT_HOST, 0);
  }

  /**
   * Starts a single-node KRaft broker whose listeners bind to {@code host} and waits until it
   * accepts clients.
   *
   * @param host the address every listener binds to and the broker advertises (e.g. 127.0.0.1)
   * @param port the client (PLAINTEXT) port; 0 picks a free one. The controller listener always
   *     gets a free port on the same host.
   */
  public static EmbeddedKafka start(String host, int port) throws Exception {
    return start(host, port, Map.of());
  }

  /**
   * Starts a single-node KRaft broker on 127.0.0.1 (free ports) that authenticates with SASL/PLAIN
   * on every listener and authorizes with ACLs: {@code users} maps user names to passwords and must
   * hold {@link #ADMIN_USER}, the super user (also the broker's own identity). Anyone else may do
   * only what an ACL allows. {@link #clientProperties()} are the admin's.
   */
  public static EmbeddedKafka startSecured(Map<String, String> users) throws Exception {
    if (!users.containsKey(ADMIN_USER)) {
      throw new IllegalArgumentException(
          "users must include the super user '" + ADMIN_USER + "', got " + users.keySet());
    }
    return start(DEFAULT_HOST, 0, Map.copyOf(users));
  }

  private static EmbeddedKafka start(String host, int port, Map<String, String> users)
      throws Exception {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    InetAddress bindAddress = InetAddress.getByName(host);
    for (int attempt = 1; ; attempt++) {
      int brokerPort = port != 0 ? port : freePort(bindAddress);
      int controllerPort = freePort(bindAddress, brokerPort);
      try {
        return startOnce(host, brokerPort, controllerPort, users);
      } catch (Exception e) {
        // A free port picked above may be taken by someone else before the broker binds it.
        if (attempt < START_ATTEMPTS && hasCause(e, BindException.class)) {
          LOG.info("Port race starting Kafka ({}), retrying with other ports", e.toString());
          continue;
        }
        throw e;
      }
    }
  }

  private static EmbeddedKafka startOnce(
      String host, int port, int controllerPort, Map<String, String> users) throws Exception {
    Path dataDir = Files.createTempDirectory("streamrank-kafka-");
    KafkaRaftServer server = null;
    try {
      KafkaConfig config = config(host, port, controllerPort, dataDir.resolve("data"), users);
      format(config);
      server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      EmbeddedKafka kafka = new EmbeddedKafka(server, dataDir, host, port, controllerPort, users);
      kafka.awaitReady();
      LOG.info("Kafka broker (KRaft) up at {}", kafka.bootstrapServers());
      return kafka;
    } catch (Throwable e) {
      if (server != null) {
        try {
          server.shutdown();
          server.awaitShutdown();
        } catch (Throwable suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      TempDirs.deleteQuietly(dataDir);
      throw e;
    }
  }

  private static KafkaConfig config(
      String host, int port, int controllerPort, Path logDir, Map<String, String> users) {
    String h = hostForAddress(host);
    boolean secured = !users.isEmpty();
    String listener = secured ? SASL_LISTENER : BROKER_LISTENER;
    String protocol = secured ? "SASL_PLAINTEXT" : "PLAINTEXT";
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@" + h + ":" + controllerPort);
    p.put(
        "listeners",
        listener
            + "://"
            + h
            + ":"
            + port
            + ","
            + CONTROLLER_LISTENER
            + "://"
            + h
            + ":"
            + controllerPort);
    p.put("advertised.listeners", listener + "://" + h + ":" + port);
    p.put(
        "listener.security.protocol.map",
        listener + ":" + protocol + "," + CONTROLLER_LISTENER + ":" + protocol);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("inter.broker.listener.name", listener);
    if (secured) {
      p.put("sasl.enabled.mechanisms", "PLAIN");
      p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
      p.put("sasl.mechanism.controller.protocol", "PLAIN");
      String jaas = brokerJaas(users);
      p.put("listener.name." + listener.toLowerCase() + ".plain.sasl.jaas.config", jaas);
      p.put("listener.name." + CONTROLLER_LISTENER.toLowerCase() + ".plain.sasl.jaas.config", jaas);
      p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      p.put("allow.everyone.if.no.acl.found", "false");
      p.put("super.users", "User:" + ADMIN_USER);
    }
    p.put("log.dirs", logDir.toString());
    p.put("metadata.log.dir", logDir.toString());
    // One node: every internal topic has one replica, and a fast first group join.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    // Leave flushing to the OS, and keep the log cleaner's buffer (compacted topics) small.
    p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
    // The one broker is its own controller: fencing it for a late heartbeat (9 s by default, missed
    // on a starved machine) only fails every request ("All brokers are currently fenced").
    p.put("broker.session.timeout.ms", "60000");
    return new KafkaConfig(p, false);
  }

  /** The PLAIN login of the broker itself (as the admin) and every user it accepts. */
  private static String brokerJaas(Map<String, String> users) {
    StringBuilder jaas = new StringBuilder(PLAIN_LOGIN_MODULE);
    jaas.append(" username=\"" + ADMIN_USER + "\" password=\"" + users.get(ADMIN_USER) + "\"");
    new java.util.TreeMap<>(users)
        .forEach((user, password) -> jaas.append(" user_" + user + "=\"" + password + "\""));
    return jaas.append(";").toString();
  }

  /** A client's {@code sasl.jaas.config} for SASL/PLAIN. */
  static String plainLogin(String user, String password) {
    return PLAIN_LOGIN_MODULE + " username=\"" + user + "\" password=\"" + password + "\";";
  }

  /**
   * Client properties of a user of a secured broker ({@link #startSecured}): bootstrap servers,
   * SASL_PLAINTEXT and PLAIN with the user's password.
   */
  public Properties clientProperties(String user) {
    String password = users.get(user);
    if (password == null) {
      throw new IllegalArgumentException(
          "no user '" + user + "' on this broker, expected one of " + users.keySet());
    }
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(AdminClientConfig.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    p.put("sasl.mechanism", "PLAIN");
    p.put("sasl.jaas.config", plainLogin(user, password));
    return p;
  }

  /** Writes meta.properties and the bootstrap metadata, as {@code kafka-storage.sh format} does. */
  private static void format(KafkaConfig config) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(ps)
          .setNodeId(config.nodeId())
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(config.logDirs())
          .setMetadataLogDirectory(config.metadataLogDir())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setIgnoreFormatted(false)
          .run();
    }
    LOG.debug("Formatted Kafka storage: {}", out.toString(StandardCharsets.UTF_8).trim());
  }

  private void awaitReady() throws Exception {
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    Properties p = clientProperties();
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          var nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          if (nodes.stream().map(Node::id).anyMatch(id -> id == NODE_ID)) {
            return;
          }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException(
                "Kafka broker at " + bootstrapServers + " did not become ready", e);
          }
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(
              "Kafka broker at " + bootstrapServers + " did not register in time");
        }
        Thread.sleep(100);
      }
    }
  }

  /** The broker's address, for clients. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The port the broker's client (PLAINTEXT) listener is bound to. */
  public int port() {
    return port;
  }

  /** The port the KRaft controller listener is bound to. */
  public int controllerPort() {
    return controllerPort;
  }

  /** The broker's temporary data directory (removed on close). */
  Path dataDir() {
    return dataDir;
  }

  /** Admin client properties for this broker (the super user's on a secured one). */
  public Properties clientProperties() {
    if (!users.isEmpty()) {
      return clientProperties(ADMIN_USER);
    }
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return p;
  }

  /**
   * Creates every streamrank topic (compacted {@code model-updates} and {@code model-decisions});
   * existing ones are kept.
   */
  public void createTopics(Topics topics, int partitions) throws Exception {
    createTopics(clientProperties(), topics, partitions);
  }

  /**
   * Creates every streamrank topic on the brokers at {@code bootstrapServers} (compacted {@code
   * model-updates} and {@code model-decisions} with one partition, the others with {@code
   * partitions}); existing ones are kept.
   */
  public static void createTopics(String bootstrapServers, Topics topics, int partitions)
      throws Exception {
    Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    createTopics(admin, topics, partitions);
  }

  private static void createTopics(Properties adminClient, Topics topics, int partitions)
      throws Exception {
    List<NewTopic> wanted = new ArrayList<>();
    Map<String, Map<String, String>> configs = topics.topicConfigs();
    for (Topic<?> t : topics.all()) {
      boolean compacted = configs.containsKey(t.name());
      NewTopic nt = new NewTopic(t.name(), compacted ? 1 : partitions, (short) 1);
      nt.configs(configs.getOrDefault(t.name(), Map.of()));
      wanted.add(nt);
    }
    try (Admin admin = Admin.create(adminClient)) {
      for (NewTopic nt : wanted) {
        try {
          admin.createTopics(List.of(nt)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      awaitLeaders(admin, wanted.stream().map(NewTopic::name).toList());
    }
  }

  /**
   * Waits until every partition of the topics has a leader in the brokers' metadata. The controller
   * acknowledges a creation before the brokers have caught up, and a client that describes or
   * consumes the topic in that gap gets UnknownTopicOrPartition (seen on a loaded machine).
   */
  private static void awaitLeaders(Admin admin, List<String> names) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        boolean ready =
            admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (ready) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics " + names + " have no leader after 30 s");
      }
      Thread.sleep(50);
    }
  }

  /** Stops the broker, waits for its threads to end and removes its data directory. */
  @Override
  public synchronized void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      TempDirs.deleteQuietly(dataDir);
    }
  }

  /** A free port on {@code address}, other than {@code except}. */
  private static int freePort(InetAddress address, int... except) throws IOException {
    for (int i = 0; i < 10; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, address)) {
        int p = s.getLocalPort();
        if (except.length == 0 || p != except[0]) {
          return p;
        }
      }
    }
    throw new IOException("No free port on " + address);
  }

  /** The host as it appears in a listener or host:port string (IPv6 literals bracketed). */
  private static String hostForAddress(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
