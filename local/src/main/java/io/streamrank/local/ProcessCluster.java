package io.streamrank.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamrank.schemas.Topics;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A Flink standalone session cluster and a Kafka broker on this machine, each in a JVM of its own:
 * a JobManager ({@value #JOB_MANAGER_MAIN}), TaskManagers ({@value #TASK_MANAGER_MAIN}) and a
 * broker ({@link StandaloneKafka}). Flink runs from a {@code lib/} directory assembled from Flink's
 * artifacts on Maven Central (the {@code flink-dist} module), configured the way a production
 * cluster must be for streamrank: ONNX Runtime in {@code lib/} and loaded parent-first. Every
 * endpoint binds to 127.0.0.1, except the Prometheus reporter's (see {@link #metricsUri}). Each
 * Flink process serves its metrics for Prometheus on a port of its own, and a retrain worker
 * ({@link RetrainWorkerCommand}) can join as one more JVM against the same broker and registry.
 *
 * <p>Everything lives in one work directory: {@code conf/} (the generated {@code config.yaml}),
 * {@code log/} (one {@code .log} and one {@code .out} per process), checkpoints, savepoints, and
 * {@code cluster.properties}, which records each process's pid and start time so that another
 * command can {@link #attach} to a running cluster, report its {@link #members()} and {@link
 * #stop()} it, touching only the processes it started.
 */
public final class ProcessCluster implements AutoCloseable {
  static final String JOB_MANAGER_MAIN =
      "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

  /** The host every process binds to. */
  public static final String HOST = "127.0.0.1";

  /** ONNX Runtime's package, loaded parent-first from Flink's lib/. */
  public static final String ONNX_RUNTIME_PACKAGE = "ai.onnxruntime";

  private static final String STATE_FILE = "cluster.properties";
  private static final String KAFKA = "kafka";
  private static final String JOB_MANAGER = "jobmanager";
  private static final String TASK_MANAGER = "taskmanager-";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  /** The retrain worker's member name ({@link #startRetrainWorker}). */
  public static final String RETRAIN_WORKER = "retrain-worker";

  /** Flink's Prometheus reporter, in lib/ (flink-dist); each Flink process gets its own port. */
  static final String PROMETHEUS_REPORTER_FACTORY =
      "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  private static final ConfigOption<String> PROMETHEUS_FACTORY_OPTION =
      ConfigOptions.key("metrics.reporter.prom.factory.class").stringType().noDefaultValue();
  private static final ConfigOption<String> PROMETHEUS_PORT_OPTION =
      ConfigOptions.key("metrics.reporter.prom.port").stringType().noDefaultValue();

  /**
   * The module-system openings Flink's own distribution passes to every JVM on Java 17
   * (env.java.opts.all in its default config.yaml), for Kryo and the RPC system.
   */
  private static final List<String> FLINK_JAVA_OPTIONS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private static final String LOG4J_PROPERTIES =
      """
      # Written by streamrank's ProcessCluster: one log file per process (-Dlog.file).
      monitorInterval = 0
      rootLogger.level = INFO
      rootLogger.appenderRef.file.ref = MainAppender
      appender.main.name = MainAppender
      appender.main.type = File
      appender.main.append = true
      appender.main.fileName = ${sys:log.file}
      appender.main.layout.type = PatternLayout
      appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
      logger.kafka.name = org.apache.kafka
      logger.kafka.level = WARN
      logger.metricgroup.name = org.apache.flink.metrics.MetricGroup
      logger.metricgroup.level = ERROR
      """;

  /**
   * How to build the cluster.
   *
   * @param workDir configuration, logs, checkpoints and the pid file
   * @param flinkLib Flink's lib/ directory (the jars of the JobManager and TaskManager JVMs)
   * @param brokerClasspath classpath of streamrank's own JVMs, the broker and the retrain worker
   *     (streamrank's classes with Kafka's server)
   * @param taskManagers TaskManagers started at first
   * @param slotsPerTaskManager task slots of each TaskManager
   * @param restPort the JobManager's REST and web UI port; 0 picks a free one
   * @param kafkaPort the broker's port; 0 picks a free one
   * @param partitions partitions of the events, ratings and output topics
   * @param topicPrefix prefix of every topic name
   * @param flinkJavaOptions extra JVM options of the JobManager and TaskManagers (like Flink's
   *     env.java.opts.all)
   * @param onnxRuntimeParentFirst load ONNX Runtime parent-first from lib/ (what a cluster must do;
   *     false only to show what breaks without it)
   */
  public record Settings(
      Path workDir,
      Path flinkLib,
      String brokerClasspath,
      int taskManagers,
      int slotsPerTaskManager,
      int restPort,
      int kafkaPort,
      int partitions,
      String topicPrefix,
      boolean onnxRuntimeParentFirst,
      List<String> flinkJavaOptions) {

    /**
     * Two TaskManagers with one slot each, free ports, two partitions, ONNX Runtime parent-first,
     * and this JVM's classpath for the broker.
     */
    public static Settings defaults(Path workDir, Path flinkLib) {
      return new Settings(
          workDir,
          flinkLib,
          System.getProperty("java.class.path"),
          2,
          1,
          0,
          0,
          2,
          "",
          true,
          List.of());
    }

    public Settings withTaskManagers(int n, int slotsEach) {
      return new Settings(
          workDir,
          flinkLib,
          brokerClasspath,
          n,
          slotsEach,
          restPort,
          kafkaPort,
          partitions,
          topicPrefix,
          onnxRuntimeParentFirst,
          flinkJavaOptions);
    }

    public Settings withPorts(int rest, int kafka) {
      return new Settings(
          workDir,
          flinkLib,
          brokerClasspath,
          taskManagers,
          slotsPerTaskManager,
          rest,
          kafka,
          partitions,
          topicPrefix,
          onnxRuntimeParentFirst,
          flinkJavaOptions);
    }

    public Settings withPartitions(int n) {
      return new Settings(
          workDir,
          flinkLib,
          brokerClasspath,
          taskManagers,
          slotsPerTaskManager,
          restPort,
          kafkaPort,
          n,
          topicPrefix,
          onnxRuntimeParentFirst,
          flinkJavaOptions);
    }

    public Settings withOnnxRuntimeParentFirst(boolean parentFirst) {
      return new Settings(
          workDir,
          flinkLib,
          brokerClasspath,
          taskManagers,
          slotsPerTaskManager,
          restPort,
          kafkaPort,
          partitions,
          topicPrefix,
          parentFirst,
          flinkJavaOptions);
    }

    public Settings withFlinkJavaOptions(List<String> options) {
      return new Settings(
          workDir,
          flinkLib,
          brokerClasspath,
          taskManagers,
          slotsPerTaskManager,
          restPort,
          kafkaPort,
          partitions,
          topicPrefix,
          onnxRuntimeParentFirst,
          List.copyOf(options));
    }

    void validate() {
      require(taskManagers >= 0, "taskManagers must be >= 0, got " + taskManagers);
      require(slotsPerTaskManager > 0, "slotsPerTaskManager must be > 0");
      require(restPort >= 0 && restPort <= 65535, "restPort out of range: " + restPort);
      require(kafkaPort >= 0 && kafkaPort <= 65535, "kafkaPort out of range: " + kafkaPort);
      require(partitions > 0, "partitions must be > 0, got " + partitions);
      require(
          Files.isDirectory(flinkLib) && flinkVersion(flinkLib) != null,
          "no Flink distribution in " + flinkLib + " (build it: ./mvnw -q -pl flink-dist package)");
    }
  }

  /**
   * One process of the cluster.
   *
   * @param name kafka, jobmanager, taskmanager-N
   * @param pid its process id
   * @param startMillis its start time as the OS reports it, so a recycled pid is not mistaken for
   *     it
   * @param log its log file (Flink's log, or the broker's output)
   */
  public record Member(String name, long pid, long startMillis, Path log) {
    /** The live process, if it is still the one that was started. */
    Optional<ProcessHandle> handle() {
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(
              h -> h.info().startInstant().map(i -> i.toEpochMilli() == startMillis).orElse(false));
    }

    /** Whether the process is running. */
    public boolean alive() {
      return handle().isPresent();
    }
  }

  private final Path workDir;
  private final Settings settings;
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final Map<String, Process> children = new LinkedHashMap<>();
  private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();
  private String bootstrapServers;
  private URI restUri;
  private int nextTaskManager = 1;

  private ProcessCluster(Path workDir, Settings settings) {
    this.workDir = workDir;
    this.settings = settings;
  }

  /**
   * Starts the broker, creates the topics, then the JobManager and the TaskManagers, and waits
   * until every TaskManager has registered. On failure, whatever was started is stopped.
   *
   * @throws IllegalStateException if a cluster recorded in the work directory is still running
   */
  public static ProcessCluster start(Settings settings) throws Exception {
    settings.validate();
    Path workDir = settings.workDir().toAbsolutePath();
    Optional<ProcessCluster> running = attach(workDir);
    if (running.isPresent() && running.get().members().stream().anyMatch(Member::alive)) {
      throw new IllegalStateException(
          "a cluster recorded in " + workDir + " is still running; stop it first");
    }
    for (String d : List.of("conf", "log", "checkpoints", "savepoints", "tmp", "web-upload")) {
      Files.createDirectories(workDir.resolve(d));
    }
    ProcessCluster cluster = new ProcessCluster(workDir, settings);
    try {
      cluster.startKafka();
      EmbeddedKafka.createTopics(
          cluster.bootstrapServers,
          Topics.withPrefix(settings.topicPrefix()),
          settings.partitions());
      cluster.writeFlinkConfiguration();
      cluster.startJobManager();
      for (int i = 0; i < settings.taskManagers(); i++) {
        cluster.startTaskManager();
      }
      return cluster;
    } catch (Exception e) {
      try {
        cluster.stop();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** The cluster recorded in {@code workDir}, if there is one (running or not). */
  public static Optional<ProcessCluster> attach(Path workDir) throws IOException {
    Path dir = workDir.toAbsolutePath();
    Path file = dir.resolve(STATE_FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    ProcessCluster c = new ProcessCluster(dir, null);
    c.bootstrapServers = p.getProperty("bootstrap.servers");
    String rest = p.getProperty("rest.url");
    c.restUri = rest == null ? null : URI.create(rest);
    c.nextTaskManager = Integer.parseInt(p.getProperty("next.taskmanager", "1"));
    for (String name : new TreeMap<>(p).keySet().stream().map(Object::toString).toList()) {
      if (name.startsWith("member.") && name.endsWith(".pid")) {
        String m = name.substring("member.".length(), name.length() - ".pid".length());
        c.members.put(
            m,
            new Member(
                m,
                Long.parseLong(p.getProperty(name)),
                Long.parseLong(p.getProperty("member." + m + ".start")),
                Path.of(p.getProperty("member." + m + ".log"))));
        String metrics = p.getProperty("member." + m + ".metrics-port");
        if (metrics != null) {
          c.metricsPorts.put(m, Integer.parseInt(metrics));
        }
      }
    }
    // Start order, so that stop() takes TaskManagers, JobManager and broker down in reverse.
    List<Member> byStart = new ArrayList<>(c.members.values());
    byStart.sort(java.util.Comparator.comparingLong(Member::startMillis));
    c.members.clear();
    byStart.forEach(m -> c.members.put(m.name(), m));
    return Optional.of(c);
  }

  /** The broker's address, e.g. {@code 127.0.0.1:39211}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The JobManager's REST endpoint (also the web UI). */
  public URI restUri() {
    return restUri;
  }

  /** A REST client for the JobManager. */
  public FlinkRestClient rest() {
    return new FlinkRestClient(restUri);
  }

  /** The work directory. */
  public Path workDir() {
    return workDir;
  }

  /**
   * Where a Flink process serves its metrics in Prometheus' text format ({@code /metrics}), if it
   * is a Flink process. Flink's reporter (2.2) has no bind-host setting: it listens on every
   * interface, on its own port, so firewall that port on a shared machine.
   */
  public Optional<URI> metricsUri(String name) {
    member(name);
    return Optional.ofNullable(metricsPorts.get(name))
        .map(port -> URI.create("http://" + HOST + ":" + port + "/metrics"));
  }

  /** Every process started, in start order, including ones that have since died. */
  public List<Member> members() {
    return List.copyOf(members.values());
  }

  /** The named member. */
  public Member member(String name) {
    Member m = members.get(name);
    if (m == null) {
      throw new IllegalArgumentException(
          "no process " + name + ", expected one of " + members.keySet());
    }
    return m;
  }

  /**
   * Starts one more TaskManager and waits until it has registered with the JobManager.
   *
   * @return its member name, also its Flink resource id
   */
  public String startTaskManager() throws Exception {
    requireStarted();
    String name = TASK_MANAGER + nextTaskManager++;
    Configuration conf = flinkConfiguration();
    conf.set(TaskManagerOptions.TASK_MANAGER_RESOURCE_ID, name);
    TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
    List<String> jvm = split(ProcessMemoryUtils.generateJvmParametersStr(spec));
    List<String> dynamic =
        new ArrayList<>(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
    dynamic.addAll(List.of("-D", TaskManagerOptions.TASK_MANAGER_RESOURCE_ID.key() + "=" + name));
    startFlinkProcess(name, TASK_MANAGER_MAIN, jvm, dynamic);
    awaitTaskManager(name);
    return name;
  }

  /** Kills a member with SIGKILL, as a crash would, and waits until it is gone. */
  public void kill(String name) throws Exception {
    Member m = member(name);
    Optional<ProcessHandle> h = m.handle();
    if (h.isPresent()) {
      h.get().destroyForcibly();
      h.get().onExit().get();
    }
    Process p = children.get(name);
    if (p != null) {
      p.waitFor();
    }
  }

  /**
   * Stops every member still running, TaskManagers first and the broker last: SIGTERM, then SIGKILL
   * for any that has not exited within 30 seconds. Logs stay in the work directory.
   */
  public void stop() throws Exception {
    List<Member> order = new ArrayList<>(members.values());
    java.util.Collections.reverse(order);
    for (Member m : order) {
      Optional<ProcessHandle> h = m.handle();
      if (h.isEmpty()) {
        continue;
      }
      h.get().destroy();
      try {
        h.get().onExit().get(STOP_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        h.get().destroyForcibly();
        h.get().onExit().get();
      }
    }
    for (Process p : children.values()) {
      p.waitFor();
    }
    Files.deleteIfExists(workDir.resolve(STATE_FILE));
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() throws Exception {
    stop();
  }

  /** The last {@code lines} lines of a member's log, for error messages. */
  public String logTail(String name, int lines) {
    Member m = members.get(name);
    if (m == null || !Files.isRegularFile(m.log())) {
      return "(no log)";
    }
    try {
      List<String> all = Files.readAllLines(m.log(), StandardCharsets.UTF_8);
      return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
          .map(l -> l.length() > 400 ? l.substring(0, 400) + " ..." : l)
          .collect(java.util.stream.Collectors.joining("\n"));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private void startKafka() throws Exception {
    Path out = workDir.resolve("log").resolve(KAFKA + ".out");
    List<String> cmd =
        javaCommand(
            KAFKA,
            out,
            List.of("-Xms512m", "-Xmx512m"),
            StandaloneKafka.class,
            List.of("--host", HOST, "--port", Integer.toString(settings.kafkaPort())));
    start(KAFKA, cmd, out, out);
    bootstrapServers = awaitLine(KAFKA, out, StandaloneKafka.READY_PREFIX, "announce its address");
    saveState();
  }

  /**
   * Starts a retrain worker ({@code streamrank retrain-worker}) against this cluster's broker, as
   * one more member that {@link #stop()} takes down first, and waits until it consumes.
   *
   * @param args its options besides {@code --bootstrap-servers} (registry, data, budget, ...)
   */
  public void startRetrainWorker(List<String> args) throws Exception {
    requireStarted();
    Path out = workDir.resolve("log").resolve(RETRAIN_WORKER + ".log");
    List<String> workerArgs = new ArrayList<>();
    workerArgs.addAll(List.of("retrain-worker", "--bootstrap-servers", bootstrapServers));
    workerArgs.addAll(args);
    List<String> cmd =
        javaCommand(RETRAIN_WORKER, out, List.of("-Xmx1g"), StreamrankCli.class, workerArgs);
    start(RETRAIN_WORKER, cmd, out, out);
    awaitLine(RETRAIN_WORKER, out, RetrainWorkerCommand.READY_PREFIX, "consume retrain requests");
  }

  /**
   * The command line of a plain Java member (not a Flink process): this JVM's {@code java}, the
   * given heap flags, a private temp directory, the broker classpath, then {@code main} and its
   * arguments. Removes the member's previous log {@code out}.
   */
  private List<String> javaCommand(
      String name, Path out, List<String> heapFlags, Class<?> main, List<String> args)
      throws IOException {
    Files.deleteIfExists(out);
    Path tmp = Files.createDirectories(workDir.resolve("tmp").resolve(name));
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable());
    cmd.addAll(heapFlags);
    cmd.addAll(
        List.of(
            "-Djava.io.tmpdir=" + tmp,
            "-cp",
            absolute(settings.brokerClasspath()),
            main.getName()));
    cmd.addAll(args);
    return cmd;
  }

  /** Waits until a member prints a line starting with {@code prefix}; returns the rest of it. */
  private String awaitLine(String name, Path out, String prefix, String what) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (Files.isRegularFile(out)) {
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
          if (line.startsWith(prefix)) {
            return line.substring(prefix.length()).trim();
          }
        }
      }
      checkStarting(name, deadline, what);
      Thread.sleep(100);
    }
  }

  private void startJobManager() throws Exception {
    Configuration conf = flinkConfiguration();
    JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
    startFlinkProcess(
        JOB_MANAGER,
        JOB_MANAGER_MAIN,
        split(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)),
        split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      try {
        rest().overview();
        return;
      } catch (IOException notYet) {
        checkStarting(JOB_MANAGER, deadline, "answer on " + restUri);
        Thread.sleep(200);
      }
    }
  }

  private void awaitTaskManager(String name) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      try {
        for (JsonNode tm : rest().taskManagers()) {
          if (name.equals(tm.path("id").asText())) {
            return;
          }
        }
      } catch (IOException e) {
        // The JobManager may be busy; it is checked below.
      }
      checkStarting(name, deadline, "register with the JobManager");
      if (!member(JOB_MANAGER).alive()) {
        throw new IllegalStateException(
            "the JobManager died; its log ends:\n" + logTail(JOB_MANAGER, 40));
      }
      Thread.sleep(200);
    }
  }

  private void startFlinkProcess(
      String name, String mainClass, List<String> jvmMemory, List<String> dynamicConfig)
      throws Exception {
    Path log = workDir.resolve("log").resolve(name + ".log");
    Path out = workDir.resolve("log").resolve(name + ".out");
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable());
    cmd.addAll(jvmMemory);
    cmd.addAll(FLINK_JAVA_OPTIONS);
    cmd.addAll(settings.flinkJavaOptions());
    cmd.add("-Dlog.file=" + log);
    cmd.add("-Dlog4j.configurationFile=" + workDir.resolve("conf/log4j.properties").toUri());
    cmd.add("-Djava.io.tmpdir=" + workDir.resolve("tmp"));
    cmd.add("-cp");
    cmd.add(settings.flinkLib().toAbsolutePath() + File.separator + "*");
    cmd.add(mainClass);
    cmd.add("--configDir");
    cmd.add(workDir.resolve("conf").toString());
    cmd.addAll(dynamicConfig);
    int metricsPort = freePort();
    cmd.addAll(List.of("-D", PROMETHEUS_PORT_OPTION.key() + "=" + metricsPort));
    metricsPorts.put(name, metricsPort);
    start(name, cmd, out, log);
  }

  private void start(String name, List<String> cmd, Path out, Path log) throws IOException {
    Files.writeString(out, String.join(" ", cmd) + "\n", StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(cmd)
            .directory(workDir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
            .redirectErrorStream(true)
            .start();
    long startMillis =
        p.toHandle()
            .info()
            .startInstant()
            .orElseThrow(() -> new IOException("no start time for process " + p.pid()))
            .toEpochMilli();
    children.put(name, p);
    members.put(name, new Member(name, p.pid(), startMillis, log));
    saveState();
  }

  private void checkStarting(String name, long deadline, String what) {
    if (!member(name).alive()) {
      throw new IllegalStateException(
          name
              + " exited before it could "
              + what
              + "; its log ends:\n"
              + logTail(name, 40)
              + (metricsPorts.containsKey(name) ? "\nand its output:\n" + outTail(name) : ""));
    }
    if (System.nanoTime() > deadline) {
      throw new IllegalStateException(
          name
              + " did not "
              + what
              + " within "
              + START_TIMEOUT
              + "; its log ends:\n"
              + logTail(name, 40));
    }
  }

  private String outTail(String name) {
    try {
      List<String> all =
          Files.readAllLines(workDir.resolve("log").resolve(name + ".out"), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size()));
    } catch (IOException e) {
      return "(no output)";
    }
  }

  /** The configuration of every Flink process; the ports are fixed once, at first use. */
  private Configuration flinkConfiguration() throws IOException {
    Configuration conf = new Configuration();
    conf.set(JobManagerOptions.ADDRESS, HOST);
    conf.set(JobManagerOptions.BIND_HOST, HOST);
    conf.set(JobManagerOptions.PORT, jobManagerRpcPort());
    conf.set(RestOptions.ADDRESS, HOST);
    conf.set(RestOptions.BIND_ADDRESS, HOST);
    conf.set(RestOptions.PORT, restUri.getPort());
    conf.set(TaskManagerOptions.HOST, HOST);
    conf.set(TaskManagerOptions.BIND_HOST, HOST);
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, settings.slotsPerTaskManager());
    // The port is a dynamic setting of each process (startFlinkProcess).
    conf.set(PROMETHEUS_FACTORY_OPTION, PROMETHEUS_REPORTER_FACTORY);
    conf.set(CoreOptions.DEFAULT_PARALLELISM, settings.slotsPerTaskManager());
    if (settings.onnxRuntimeParentFirst()) {
      conf.set(
          CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL,
          List.of(ONNX_RUNTIME_PACKAGE));
    }
    conf.set(JobManagerOptions.JVM_HEAP_MEMORY, MemorySize.parse("512m"));
    conf.set(TaskManagerOptions.TASK_HEAP_MEMORY, MemorySize.parse("640m"));
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("32m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("64m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("64m"));
    conf.set(
        TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE,
        TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
    // A crashed TaskManager is noticed within seconds, not the default 50.
    conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
    conf.set(HeartbeatManagerOptions.HEARTBEAT_TIMEOUT, Duration.ofSeconds(8));
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 20);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
    conf.set(
        CheckpointingOptions.CHECKPOINTS_DIRECTORY,
        workDir.resolve("checkpoints").toUri().toString());
    conf.set(
        CheckpointingOptions.SAVEPOINT_DIRECTORY, workDir.resolve("savepoints").toUri().toString());
    conf.set(WebOptions.UPLOAD_DIR, workDir.resolve("web-upload").toString());
    conf.set(CoreOptions.TMP_DIRS, workDir.resolve("tmp").toString());
    return conf;
  }

  private Integer rpcPort;

  private int jobManagerRpcPort() throws IOException {
    if (rpcPort == null) {
      rpcPort = freePort();
    }
    return rpcPort;
  }

  private void writeFlinkConfiguration() throws IOException {
    int rest = settings.restPort() != 0 ? firstFreePort(settings.restPort()) : freePort();
    restUri = URI.create("http://" + HOST + ":" + rest);
    Configuration conf = flinkConfiguration();
    // Flink's own writer, so that lists and durations come out as Flink reads them back.
    List<String> yaml = new ArrayList<>();
    yaml.add("# Written by streamrank's ProcessCluster.");
    yaml.addAll(ConfigurationUtils.convertConfigToWritableLines(conf, false));
    Files.write(workDir.resolve("conf/config.yaml"), yaml, StandardCharsets.UTF_8);
    Files.writeString(
        workDir.resolve("conf/log4j.properties"), LOG4J_PROPERTIES, StandardCharsets.UTF_8);
    saveState();
  }

  private void saveState() throws IOException {
    Properties p = new Properties();
    if (bootstrapServers != null) {
      p.setProperty("bootstrap.servers", bootstrapServers);
    }
    if (restUri != null) {
      p.setProperty("rest.url", restUri.toString());
    }
    p.setProperty("next.taskmanager", Integer.toString(nextTaskManager));
    for (Member m : members.values()) {
      p.setProperty("member." + m.name() + ".pid", Long.toString(m.pid()));
      p.setProperty("member." + m.name() + ".start", Long.toString(m.startMillis()));
      p.setProperty("member." + m.name() + ".log", m.log().toString());
      Integer metrics = metricsPorts.get(m.name());
      if (metrics != null) {
        p.setProperty("member." + m.name() + ".metrics-port", Integer.toString(metrics));
      }
    }
    Path tmp = workDir.resolve(STATE_FILE + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      p.store(out, "streamrank process cluster");
    }
    Files.move(
        tmp,
        workDir.resolve(STATE_FILE),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private void requireStarted() {
    if (settings == null || restUri == null) {
      throw new IllegalStateException(
          "TaskManagers can be added only by the process that started the cluster");
    }
  }

  private static String flinkVersion(Path lib) {
    try (var files = Files.list(lib)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.matches("flink-runtime-[0-9].*\\.jar"))
          .map(n -> n.substring("flink-runtime-".length(), n.length() - ".jar".length()))
          .findFirst()
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  /** The classpath with every entry absolute, since the processes run in the work directory. */
  private static String absolute(String classpath) {
    return Arrays.stream(classpath.split(File.pathSeparator))
        .filter(e -> !e.isEmpty())
        .map(e -> Path.of(e).toAbsolutePath().toString())
        .collect(java.util.stream.Collectors.joining(File.pathSeparator));
  }

  private static List<String> split(String args) {
    return Arrays.stream(args.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }

  private static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  /** {@code from} or the next free port up to 18 above it, like the demo's web UI. */
  private static int firstFreePort(int from) throws IOException {
    for (int port = from; port <= Math.min(65535, from + 18); port++) {
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
        return s.getLocalPort();
      } catch (java.net.BindException taken) {
        // try the next one
      }
    }
    throw new IOException("ports " + from + "-" + (from + 18) + " on " + HOST + " are all taken");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
