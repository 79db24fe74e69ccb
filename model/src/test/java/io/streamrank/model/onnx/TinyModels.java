package io.streamrank.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.SyntheticRatings;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import java.util.List;

/** Test fixtures: a tiny trained model and hand-built ONNX graphs with wrong signatures. */
public final class TinyModels {
  private TinyModels() {}

  /** A small model trained for two epochs on synthetic ratings. */
  public static RankingModel trained(int numFeatures) {
    var ratings = SyntheticRatings.generate(50, 30, 2_000, 9);
    ModelConfig cfg =
        ModelConfig.builder()
            .embeddingDim(4)
            .hiddenLayers(8)
            .epochs(2)
            .batchSize(64)
            .threads(1)
            .numFeatures(numFeatures)
            .build();
    var train = ratings.subList(0, 1_600);
    var valid = ratings.subList(1_600, 2_000);
    return new Trainer()
        .train(
            train,
            numFeatures > 0 ? SyntheticRatings.features(train, numFeatures) : null,
            valid,
            numFeatures > 0 ? SyntheticRatings.features(valid, numFeatures) : null,
            cfg,
            TrainingListener.NONE);
  }

  /** The ONNX bytes of {@link #trained(int)}. */
  public static byte[] onnx(int numFeatures) {
    return new OnnxExporter().export(trained(numFeatures), "tiny", java.util.Map.of());
  }

  /**
   * A loadable graph {@code output = Identity(passThrough)} with the given inputs (name, ONNX data
   * type) of shape [N].
   */
  public static byte[] identityGraph(
      List<String> inputNames,
      List<TensorProto.DataType> inputTypes,
      String passThrough,
      String output) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("bad");
    TensorProto.DataType outType = null;
    for (int i = 0; i < inputNames.size(); i++) {
      g.addInput(vector(inputNames.get(i), inputTypes.get(i)));
      if (inputNames.get(i).equals(passThrough)) {
        outType = inputTypes.get(i);
      }
    }
    g.addOutput(vector(output, outType));
    g.addNode(NodeProto.newBuilder().setOpType("Identity").addInput(passThrough).addOutput(output));
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17))
        .setGraph(g)
        .build()
        .toByteArray();
  }

  private static ValueInfoProto vector(String name, TensorProto.DataType type) {
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(type.getNumber())
                        .setShape(
                            TensorShapeProto.newBuilder()
                                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N")))))
        .build();
  }
}
