package io.streamrank.retrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.model.ModelConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * One parallel task of a tuning session's job: connects to the tuner's {@link TrialServer}, runs
 * the units of trials it is handed one after the other until the server says {@link
 * TrialServer#DONE}, and returns how many units it ran. The data of every unit comes from {@link
 * DataSpec#load}, read and prepared once per JVM (once per TaskManager on a cluster), so a task's
 * later trials and rungs start training at once.
 */
final class TrialWorker extends RichMapFunction<Long, Long> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String host;
  private final int port;

  /**
   * @param host the tuner's address, reachable from the TaskManagers
   * @param port the {@link TrialServer}'s port
   */
  TrialWorker(String host, int port) {
    this.host = host;
    this.port = port;
  }

  @Override
  public Long map(Long worker) throws Exception {
    String job = getRuntimeContext().getJobInfo().getJobId().toString();
    int index = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    long units = 0;
    try (Socket s = connect();
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null && !line.equals(TrialServer.DONE)) {
        TrialUnit unit = JSON.readValue(line, TrialUnit.class);
        out.write(JSON.writeValueAsString(run(unit, job, index)) + "\n");
        out.flush();
        units++;
      }
    }
    return units;
  }

  private Socket connect() throws IOException {
    try {
      return new Socket(host, port);
    } catch (IOException e) {
      throw new IOException(
          "a trial worker could not reach the tuner at "
              + host
              + ":"
              + port
              + " (the TaskManagers must reach the tuner's session address): "
              + e,
          e);
    }
  }

  /** Runs a unit's trials; a failure becomes the reply's error, so the tuner can name it. */
  private static TrialUnit.Reply run(TrialUnit unit, String job, int index) {
    try {
      ModelConfig base = ModelConfig.fromMap(unit.base());
      List<TrialResult> results = new ArrayList<>();
      for (TrialSpec spec : unit.trials()) {
        DataSpec data = SearchSpace.data(unit.data(), spec.point());
        results.add(TrialRunner.run(spec, data.load(), base, unit.threads()).ranOn(job, index));
      }
      return new TrialUnit.Reply(unit.id(), results, null);
    } catch (RuntimeException e) {
      return new TrialUnit.Reply(unit.id(), null, e.toString());
    }
  }
}
