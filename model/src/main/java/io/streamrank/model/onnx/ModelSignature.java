package io.streamrank.model.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The inputs and outputs of a scoring model: {@code user_id} int64 [N], {@code movie_id} int64 [N],
 * optionally {@code features} float [N, F], and {@code score} float [N]. A dimension of -1 is the
 * dynamic batch dimension.
 *
 * @param inputs the graph inputs, in order
 * @param outputs the graph outputs, in order
 */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {
  /** Name of the user id input. */
  public static final String USER_ID = "user_id";

  /** Name of the movie id input. */
  public static final String MOVIE_ID = "movie_id";

  /** Name of the optional feature input. */
  public static final String FEATURES = "features";

  /** Name of the output. */
  public static final String SCORE = "score";

  /** Element type name of int64 tensors. */
  public static final String INT64 = "int64";

  /** Element type name of float32 tensors. */
  public static final String FLOAT = "float";

  /**
   * One tensor of the signature.
   *
   * @param name tensor name
   * @param type element type: {@code int64}, {@code float} or another lower-case ONNX type name
   * @param shape dimensions, -1 where dynamic
   */
  public record TensorSpec(String name, String type, List<Long> shape) {
    /** Copies the shape. */
    public TensorSpec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      shape = List.copyOf(shape);
    }

    @Override
    public String toString() {
      return name + ":" + type + shape;
    }
  }

  /** Copies the lists. */
  public ModelSignature {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** The signature a streamrank model with {@code numFeatures} features has. */
  public static ModelSignature expected(int numFeatures) {
    List<TensorSpec> in = new ArrayList<>();
    in.add(new TensorSpec(USER_ID, INT64, List.of(-1L)));
    in.add(new TensorSpec(MOVIE_ID, INT64, List.of(-1L)));
    if (numFeatures > 0) {
      in.add(new TensorSpec(FEATURES, FLOAT, List.of(-1L, (long) numFeatures)));
    }
    return new ModelSignature(in, List.of(new TensorSpec(SCORE, FLOAT, List.of(-1L))));
  }

  /** The signature declared by an ONNX model's graph. */
  public static ModelSignature of(ModelProto model) {
    List<TensorSpec> in = new ArrayList<>();
    for (ValueInfoProto v : model.getGraph().getInputList()) {
      in.add(spec(v));
    }
    List<TensorSpec> out = new ArrayList<>();
    for (ValueInfoProto v : model.getGraph().getOutputList()) {
      out.add(spec(v));
    }
    return new ModelSignature(in, out);
  }

  private static TensorSpec spec(ValueInfoProto v) {
    if (!v.getType().hasTensorType()) {
      return new TensorSpec(v.getName(), "non-tensor", List.of());
    }
    int elem = v.getType().getTensorType().getElemType();
    TensorProto.DataType dt = TensorProto.DataType.forNumber(elem);
    String type = dt == null ? "type" + elem : dt.name().toLowerCase(java.util.Locale.ROOT);
    List<Long> shape = new ArrayList<>();
    for (TensorShapeProto.Dimension d : v.getType().getTensorType().getShape().getDimList()) {
      shape.add(d.hasDimValue() ? d.getDimValue() : -1L);
    }
    return new TensorSpec(v.getName(), type, shape);
  }

  /** Number of features: the second dimension of {@code features}, 0 without that input. */
  @JsonIgnore
  public int numFeatures() {
    for (TensorSpec t : inputs) {
      if (t.name().equals(FEATURES) && t.shape().size() == 2) {
        return (int) (long) t.shape().get(1);
      }
    }
    return 0;
  }

  /**
   * Checks that this is a scoring signature streamrank can feed: exactly {@code user_id} and {@code
   * movie_id} (int64, rank 1), optionally {@code features} (float, rank 2, fixed second dimension
   * >= 1), and exactly one output {@code score} (float, rank 1).
   *
   * @param where names the model in the message, e.g. a file
   * @throws ModelValidationException saying what was expected and what was found
   */
  public ModelSignature requireScoring(String where) {
    int f = numFeatures();
    ModelSignature want = expected(Math.max(f, 0));
    boolean ok = inputs.size() == want.inputs.size() && outputs.size() == 1;
    for (int i = 0; ok && i < inputs.size(); i++) {
      ok = compatible(want.inputs.get(i), inputs.get(i));
    }
    ok = ok && compatible(want.outputs.get(0), outputs.get(0));
    ok = ok && (!hasInput(FEATURES) || f >= 1);
    if (!ok) {
      throw new ModelValidationException(
          where
              + ": unexpected signature: expected inputs "
              + expected(0).inputs
              + " (plus features:float[-1, F] with F >= 1 when the model has features) and outputs "
              + want.outputs
              + ", found inputs "
              + inputs
              + " and outputs "
              + outputs);
    }
    return this;
  }

  private boolean hasInput(String name) {
    return inputs.stream().anyMatch(t -> t.name().equals(name));
  }

  /** Same name, type and rank; fixed dimensions equal where the expectation fixes them. */
  private static boolean compatible(TensorSpec want, TensorSpec found) {
    if (!want.name().equals(found.name())
        || !want.type().equals(found.type())
        || want.shape().size() != found.shape().size()) {
      return false;
    }
    for (int i = 0; i < want.shape().size(); i++) {
      long w = want.shape().get(i);
      if (w >= 0 && w != found.shape().get(i)) {
        return false;
      }
    }
    return true;
  }
}
