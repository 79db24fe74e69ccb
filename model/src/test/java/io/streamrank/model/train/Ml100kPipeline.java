package io.streamrank.model.train;

import io.streamrank.datasets.Rating;
import io.streamrank.model.Ml100k;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.features.StreamingFeatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Tuning aid, not a test: runs {@link TrainPipeline} (what {@code ./streamrank train} runs) on
 * ML-100k and prints one line of figures. Arguments: {@code time|random}, then any of {@code
 * features} (streaming features), {@code norefit}, {@code fileorder} (the rows in {@code u.data}'s
 * order instead of {@code MovieLens.load}'s time order, which changes the seeded random split: the
 * order the earlier figures used), and {@code key=value} settings (keys of {@link
 * ModelConfig#toMap()}, e.g. {@code seed=1 embedding_dim=64 hidden_layers=64,32}).
 */
public final class Ml100kPipeline {
  private Ml100kPipeline() {}

  public static void main(String[] args) throws Exception {
    List<Rating> all = Ml100k.load().orElseThrow(() -> new IllegalStateException("no ML-100k"));
    SplitKind split = SplitKind.valueOf(args[0].toUpperCase(Locale.ROOT));
    boolean features = false;
    boolean refit = true;
    Map<String, Object> map = new HashMap<>(ModelConfig.defaults().toMap());
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.equals("features")) {
        features = true;
      } else if (a.equals("norefit")) {
        refit = false;
      } else if (a.equals("fileorder")) {
        all = fileOrder();
      } else {
        String[] kv = a.split("=", 2);
        Object old = map.get(kv[0]);
        if (old == null) {
          throw new IllegalArgumentException("unknown setting " + kv[0]);
        }
        map.put(kv[0], value(old, kv[1]));
      }
    }
    if (features) {
      map.put("num_features", StreamingFeatures.COUNT);
    }
    ModelConfig cfg = ModelConfig.fromMap(map);
    Path registry = Files.createTempDirectory("ml100k-pipeline");
    TrainPipeline p =
        new TrainPipeline(registry.toUri().toString()).withRefitOnTrainAndValid(refit);
    if (features) {
      p = p.withStreamingFeatures(StreamingFeatures.DEFAULT);
    }
    TrainReport r = p.run(all, split, cfg, "v");
    System.out.printf(
        Locale.ROOT,
        "%s valid=%.4f test=%.4f (early-stopped %.4f) mae=%.4f ndcg=%.4f pop=%.4f"
            + " epochs=%d refit=%s/%d train_s=%.1f%n",
        String.join(" ", args),
        r.validRmse(),
        r.testRmse(),
        r.earlyStoppedTestRmse(),
        r.testMae(),
        r.testNdcg10(),
        r.popularityNdcg10(),
        r.epochs(),
        r.refit(),
        r.refitEpochs(),
        r.trainSeconds());
  }

  private static List<Rating> fileOrder() throws java.io.IOException {
    List<Rating> out = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(Ml100k.file().orElseThrow())) {
      if (!line.isBlank()) {
        String[] f = line.split("\t");
        out.add(
            new Rating(
                Long.parseLong(f[0]),
                Long.parseLong(f[1]),
                Long.parseLong(f[3]),
                Float.parseFloat(f[2])));
      }
    }
    return out;
  }

  private static Object value(Object old, String v) {
    if (old instanceof List<?>) {
      return java.util.Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
    }
    if (old instanceof Integer) {
      return Integer.valueOf(v);
    }
    if (old instanceof Long) {
      return Long.valueOf(v);
    }
    if (old instanceof Float || old instanceof Double) {
      return Double.valueOf(v);
    }
    if (old instanceof Boolean) {
      return Boolean.valueOf(v);
    }
    return v;
  }
}
