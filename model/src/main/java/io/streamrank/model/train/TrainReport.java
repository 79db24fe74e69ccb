package io.streamrank.model.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamrank.model.registry.BundleRef;

/**
 * What {@code ./streamrank train} reports.
 *
 * @param version the model version published
 * @param split how the ratings were split
 * @param validRmse RMSE of the early-stopped model on the validation rows (early stopping used
 *     them; with refit the published model has trained on them, so this is the early-stopped
 *     model's figure)
 * @param testRmse RMSE of the published model (the refit one when {@code refit}) on the held-out
 *     test rows
 * @param testMae MAE on the test rows
 * @param testNdcg10 NDCG@10 of the model on the test rows (see {@code Metrics})
 * @param popularityNdcg10 NDCG@10 of the global-popularity baseline on the same rows
 * @param trainRows training rows
 * @param validRows validation rows
 * @param testRows test rows
 * @param epochs epochs run by the early-stopped training (the patience epochs included)
 * @param refit whether the published model was refit on train + validation
 * @param refitEpochs epochs of the refit (the early-stopped run's best epoch), 0 without refit
 * @param earlyStoppedTestRmse test RMSE of the early-stopped model (equal to {@code testRmse}
 *     without refit), for comparison
 * @param trainSeconds wall time of training alone (both fits with refit)
 * @param wallSeconds wall time of the whole pipeline (split, train, evaluate, export, publish)
 * @param bundle where the bundle was published
 */
public record TrainReport(
    String version,
    SplitKind split,
    double validRmse,
    double testRmse,
    double testMae,
    double testNdcg10,
    double popularityNdcg10,
    int trainRows,
    int validRows,
    int testRows,
    int epochs,
    boolean refit,
    int refitEpochs,
    double earlyStoppedTestRmse,
    double trainSeconds,
    double wallSeconds,
    BundleRef bundle) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The report as a JSON object with snake_case keys; non-finite figures are null. */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("version", version);
    o.put("split", split.name().toLowerCase(java.util.Locale.ROOT));
    number(o, "valid_rmse", validRmse);
    number(o, "test_rmse", testRmse);
    number(o, "test_mae", testMae);
    number(o, "test_ndcg10", testNdcg10);
    number(o, "popularity_ndcg10", popularityNdcg10);
    o.put("train_rows", trainRows);
    o.put("valid_rows", validRows);
    o.put("test_rows", testRows);
    o.put("epochs", epochs);
    o.put("refit", refit);
    o.put("refit_epochs", refitEpochs);
    number(o, "early_stopped_test_rmse", earlyStoppedTestRmse);
    number(o, "train_seconds", trainSeconds);
    number(o, "wall_seconds", wallSeconds);
    ObjectNode b = o.putObject("bundle");
    b.put("version", bundle.version());
    b.put("uri", bundle.uri().toString());
    b.put("sha256", bundle.sha256());
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the train report as JSON", e);
    }
  }

  private static void number(ObjectNode o, String key, double v) {
    if (Double.isFinite(v)) {
      o.put(key, v);
    } else {
      o.putNull(key);
    }
  }
}
