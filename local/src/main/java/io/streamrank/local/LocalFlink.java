package io.streamrank.local;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The embedded Flink: a MiniCluster in this process, started when a job is submitted, with the web
 * UI on 127.0.0.1 (port 8081, or the next free one up to 8099).
 */
public final class LocalFlink {
  private LocalFlink() {}

  /**
   * An environment whose jobs run in an in-process MiniCluster.
   *
   * @param parallelism default operator parallelism (also the number of task slots)
   * @param webUi whether to serve the Flink web UI
   * @param webPort first port to try for the web UI
   */
  public static StreamExecutionEnvironment environment(
      int parallelism, boolean webUi, int webPort) {
    if (parallelism <= 0) {
      throw new IllegalArgumentException("parallelism must be > 0, got " + parallelism);
    }
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, webPort + "-" + Math.max(webPort, 8099));
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
    // Checkpoints on disk: the default JobManager-memory storage caps a task's state at 5 MiB,
    // which the prediction/rating join passes at a few thousand events per second.
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir().toUri().toString());
    // The blob server and RPC endpoints follow the bind hosts: keep everything on loopback.
    conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
    conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.HOST, "127.0.0.1");
    StreamExecutionEnvironment env =
        webUi
            ? StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf)
            : StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    env.setParallelism(parallelism);
    return env;
  }

  /** A temporary checkpoint directory, removed when the JVM exits. */
  private static java.nio.file.Path checkpointDir() {
    return TempDirs.deletedOnExit("streamrank-checkpoints-");
  }
}
