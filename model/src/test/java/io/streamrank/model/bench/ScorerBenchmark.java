package io.streamrank.model.bench;

import ai.onnxruntime.OrtEnvironment;
import io.streamrank.model.RandomModels;
import io.streamrank.model.RankingModel;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.onnx.OnnxExporter;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Rows per second of the seed-sized model (32-dim embeddings, Dense 256, Dense 64, 943 users, 1682
 * movies, no features) on ONNX Runtime CPU with one intra-op thread and one calling thread, and of
 * the Java model for comparison. {@link #main} runs JMH and prints rows/s per batch size with the
 * conditions; the module README has the command.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class ScorerBenchmark {
  @Param({"1", "16", "64", "256", "1024"})
  public int batch;

  private OnnxScorer scorer;
  private RankingModel model;
  private long[] users;
  private long[] movies;
  private float[] out;

  @Setup(Level.Trial)
  public void setUp() {
    model = RandomModels.seedSized();
    byte[] onnx = new OnnxExporter().export(model, "bench", Map.of());
    scorer = OnnxScorer.open(onnx, new ScorerOptions(Device.CPU, 1, 1024));
    SplittableRandom rng = new SplittableRandom(5);
    users = new long[batch];
    movies = new long[batch];
    for (int i = 0; i < batch; i++) {
      // 5% unknown ids, as in a live stream.
      users[i] = rng.nextInt(20) == 0 ? 10_000 + i : 1 + rng.nextInt(943);
      movies[i] = rng.nextInt(20) == 0 ? 10_000 + i : 1 + rng.nextInt(1682);
    }
    out = new float[batch];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    scorer.close();
  }

  /** One ONNX Runtime call of {@code batch} rows. */
  @Benchmark
  public float onnxRuntime() {
    scorer.score(users, movies, null, batch, out);
    return out[0];
  }

  /** The same rows through the Java model. */
  @Benchmark
  public float javaModel() {
    model.predictBatch(users, movies, null, batch, out);
    return out[0];
  }

  /**
   * Runs the benchmark (JMH options on the command line override the defaults) and prints rows/s.
   */
  public static void main(String[] args) throws RunnerException, Exception {
    Collection<RunResult> results =
        new Runner(
                new OptionsBuilder()
                    .parent(new CommandLineOptions(args))
                    .include(ScorerBenchmark.class.getName())
                    .build())
            .run();
    List<String> lines = new ArrayList<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      int b = Integer.parseInt(r.getParams().getParam("batch"));
      double callsPerSecond = r.getPrimaryResult().getScore();
      double error = r.getPrimaryResult().getScoreError();
      lines.add(
          String.format(
              "%-12s batch %5d  %,14.0f rows/s  (+- %,.0f)",
              name.substring(name.lastIndexOf('.') + 1), b, callsPerSecond * b, error * b));
    }
    System.out.println();
    System.out.println(
        "streamrank scorer benchmark: seed-sized model (d=32, Dense 256, Dense 64), no features,"
            + " 1 calling thread, ONNX Runtime CPU intra-op threads 1");
    System.out.println(
        "JVM "
            + System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.version")
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " CPUs, ONNX Runtime "
            + OrtEnvironment.getEnvironment().getVersion()
            + ", os "
            + System.getProperty("os.arch"));
    lines.forEach(System.out::println);
  }
}
