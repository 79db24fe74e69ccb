package io.streamrank.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.streamrank.model.ModelWeights;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Vocabulary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Exports a {@link RankingModel} as one self-contained ONNX model (weights and id vocabularies
 * inside, no external data), written with the ONNX protobuf builders that {@code tribuo-util-onnx}
 * ships.
 *
 * <p>Signature: inputs {@code user_id} int64 [N], {@code movie_id} int64 [N] and, only when the
 * model has features, {@code features} float [N, F]; output {@code score} float [N]. Ids map to
 * embedding rows inside the graph: when every known id is in {@code [0, }{@value
 * #MAX_DENSE_ID}{@code ]} by a dense int32 table ({@code Gather(table, Clip(id, -1, maxId + 1) +
 * 1)}, with row 0 at both ends so negative, unknown and out-of-range ids all land on the
 * out-of-vocabulary row), otherwise by an {@code ai.onnx.ml LabelEncoder} (a hash map with default
 * 0). Opset {@value #OPSET}, producer {@code streamrank}; version and hyperparameters are in {@code
 * metadata_props}.
 */
public final class OnnxExporter {
  /** The default-domain opset the graph is written for. */
  public static final int OPSET = 17;

  /** The {@code ai.onnx.ml} opset used when ids need a LabelEncoder. */
  public static final int ML_OPSET = 2;

  /** IR version matching opset 17. */
  public static final int IR_VERSION = 8;

  /** Largest id a dense lookup table is built for; larger (or negative) ids use a LabelEncoder. */
  public static final long MAX_DENSE_ID = 1L << 24;

  /** Producer name written into the model. */
  public static final String PRODUCER = "streamrank";

  /** Metadata key of the version string. */
  public static final String META_VERSION = "version";

  /** Metadata key of the hyperparameters, a JSON object. */
  public static final String META_HYPERPARAMETERS = "hyperparameters";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final long maxDenseId;

  /** An exporter with the default dense-table limit. */
  public OnnxExporter() {
    this(MAX_DENSE_ID);
  }

  /** An exporter that uses dense id tables only for ids up to {@code maxDenseId}. */
  public OnnxExporter(long maxDenseId) {
    this.maxDenseId = maxDenseId;
  }

  /**
   * The serialised ONNX model.
   *
   * @param version the model version, written to metadata
   * @param extraMetadata more metadata entries (may be empty, not null); keys must not clash with
   *     the exporter's own
   */
  public byte[] export(RankingModel model, String version, Map<String, String> extraMetadata) {
    return toProto(model, version, extraMetadata).toByteArray();
  }

  /** The model as a protobuf message (for inspection and tests). */
  public ModelProto toProto(RankingModel model, String version, Map<String, String> extraMetadata) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(extraMetadata, "extraMetadata");
    ModelWeights w = model.weights();
    int d = w.embeddingDim();
    int f = w.numFeatures();
    Graph g = new Graph();

    g.input(ModelSignature.USER_ID, TensorProto.DataType.INT64, -1);
    g.input(ModelSignature.MOVIE_ID, TensorProto.DataType.INT64, -1);
    if (f > 0) {
      g.input(ModelSignature.FEATURES, TensorProto.DataType.FLOAT, -1, f);
    }
    g.output(ModelSignature.SCORE, TensorProto.DataType.FLOAT, -1);

    String userRow = idToRow(g, "user", ModelSignature.USER_ID, model.users());
    String movieRow = idToRow(g, "movie", ModelSignature.MOVIE_ID, model.movies());
    int nu = model.users().size();
    int nm = model.movies().size();

    g.floats("user_factors", w.userFactors(), nu, d);
    g.floats("movie_factors", w.movieFactors(), nm, d);
    g.floats("user_bias", w.userBias(), nu);
    g.floats("movie_bias", w.movieBias(), nm);
    g.floats("global_mean", new float[] {w.globalMean()});
    g.node("Gather", "gather_user_factors", List.of("user_factors", userRow), "user_vec");
    g.node("Gather", "gather_movie_factors", List.of("movie_factors", movieRow), "movie_vec");
    g.node("Gather", "gather_user_bias", List.of("user_bias", userRow), "user_b");
    g.node("Gather", "gather_movie_bias", List.of("movie_bias", movieRow), "movie_b");
    g.node("Mul", "dot_mul", List.of("user_vec", "movie_vec"), "dot_prod");
    g.longs("dot_axes", new long[] {1}, 1);
    g.node("ReduceSum", "dot_sum", List.of("dot_prod", "dot_axes"), "dot", intAttr("keepdims", 0));

    String userMlp = "user_vec";
    String movieMlp = "movie_vec";
    if (!w.sharedEmbeddings()) {
      g.floats("user_mlp_embeddings", w.userMlpEmbeddings(), nu, d);
      g.floats("movie_mlp_embeddings", w.movieMlpEmbeddings(), nm, d);
      g.node("Gather", "gather_user_mlp", List.of("user_mlp_embeddings", userRow), "user_mlp_vec");
      g.node(
          "Gather", "gather_movie_mlp", List.of("movie_mlp_embeddings", movieRow), "movie_mlp_vec");
      userMlp = "user_mlp_vec";
      movieMlp = "movie_mlp_vec";
    }
    List<String> concat = new ArrayList<>(List.of(userMlp, movieMlp));
    if (f > 0) {
      concat.add(ModelSignature.FEATURES);
    }
    g.node("Concat", "mlp_concat", concat, "mlp_in", intAttr("axis", 1));
    String prev = "mlp_in";
    int layers = w.numLayers();
    for (int l = 0; l < layers; l++) {
      String k = "dense" + l + "_kernel";
      String b = "dense" + l + "_bias";
      g.floats(k, w.kernel(l), w.layerIn(l), w.layerOut(l));
      g.floats(b, w.bias(l), w.layerOut(l));
      String z = "dense" + l + "_out";
      g.node("Gemm", "dense" + l, List.of(prev, k, b), z);
      if (l < layers - 1) {
        g.node("Relu", "dense" + l + "_relu", List.of(z), "dense" + l + "_act");
        prev = "dense" + l + "_act";
      } else {
        prev = z;
      }
    }
    g.longs("flat_shape", new long[] {-1}, 1);
    g.node("Reshape", "mlp_flatten", List.of(prev, "flat_shape"), "mlp_score");
    g.node("Add", "add_dot", List.of("mlp_score", "dot"), "s_dot");
    g.node("Add", "add_user_bias", List.of("s_dot", "user_b"), "s_user");
    g.node("Add", "add_movie_bias", List.of("s_user", "movie_b"), "s_movie");
    g.node("Add", "add_global_mean", List.of("s_movie", "global_mean"), ModelSignature.SCORE);

    ModelProto.Builder mb =
        ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .setProducerName(PRODUCER)
            .setProducerVersion(version)
            .setDomain("io.streamrank")
            .setDocString("streamrank ranking model: global mean + biases + dot(user, movie) + MLP")
            .setGraph(g.graph.setName("streamrank_ranking_model").build())
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
    if (g.usesMl) {
      mb.addOpsetImport(
          OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(ML_OPSET));
    }
    meta(mb, META_VERSION, version);
    meta(mb, META_HYPERPARAMETERS, json(model.config().toMap()));
    meta(mb, "num_features", Integer.toString(f));
    meta(mb, "user_vocabulary_size", Integer.toString(nu));
    meta(mb, "movie_vocabulary_size", Integer.toString(nm));
    for (Map.Entry<String, String> e : extraMetadata.entrySet()) {
      for (StringStringEntryProto existing : mb.getMetadataPropsList()) {
        if (existing.getKey().equals(e.getKey())) {
          throw new IllegalArgumentException(
              "extra metadata key '" + e.getKey() + "' clashes with the exporter's own");
        }
      }
      meta(mb, e.getKey(), e.getValue());
    }
    return mb.build();
  }

  /** Adds the nodes mapping an id input to an int row tensor; returns the row tensor's name. */
  private String idToRow(Graph g, String prefix, String input, Vocabulary vocab) {
    long[] ids = vocab.ids();
    long min = vocab.minId();
    long max = vocab.maxId();
    String row = prefix + "_row";
    if (ids.length == 0 || (min >= 0 && max <= maxDenseId)) {
      long top = Math.max(max, 0) + 1;
      // table[id + 1] = row of id; table[0] (negative ids) and table[top + 1] (ids above the max)
      // are the out-of-vocabulary row.
      int[] table = new int[(int) top + 2];
      for (int r = 1; r < vocab.size(); r++) {
        table[(int) vocab.id(r) + 1] = r;
      }
      g.ints(prefix + "_lookup", table, table.length);
      g.longs(prefix + "_clip_min", new long[] {-1});
      g.longs(prefix + "_clip_max", new long[] {top});
      g.longs(prefix + "_one", new long[] {1});
      g.node(
          "Clip",
          prefix + "_clip",
          List.of(input, prefix + "_clip_min", prefix + "_clip_max"),
          prefix + "_clipped");
      g.node(
          "Add", prefix + "_shift", List.of(prefix + "_clipped", prefix + "_one"), prefix + "_idx");
      g.node(
          "Gather", prefix + "_lookup_gather", List.of(prefix + "_lookup", prefix + "_idx"), row);
    } else {
      g.usesMl = true;
      long[] rows = new long[ids.length];
      for (int i = 0; i < ids.length; i++) {
        rows[i] = i + 1;
      }
      NodeProto.Builder n =
          NodeProto.newBuilder()
              .setOpType("LabelEncoder")
              .setDomain("ai.onnx.ml")
              .setName(prefix + "_label_encoder")
              .addInput(input)
              .addOutput(row)
              .addAttribute(longsAttr("keys_int64s", ids))
              .addAttribute(longsAttr("values_int64s", rows))
              .addAttribute(intAttr("default_int64", 0));
      g.graph.addNode(n);
    }
    return row;
  }

  private static void meta(ModelProto.Builder mb, String key, String value) {
    mb.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write hyperparameters as JSON", e);
    }
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(v)
        .build();
  }

  private static AttributeProto longsAttr(String name, long[] v) {
    AttributeProto.Builder b =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    return b.build();
  }

  /** Small helper around the graph builder. */
  private static final class Graph {
    final GraphProto.Builder graph = GraphProto.newBuilder();
    boolean usesMl;

    void input(String name, TensorProto.DataType type, long... dims) {
      graph.addInput(valueInfo(name, type, dims));
    }

    void output(String name, TensorProto.DataType type, long... dims) {
      graph.addOutput(valueInfo(name, type, dims));
    }

    private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, long... dims) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (long dim : dims) {
        if (dim < 0) {
          shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        } else {
          shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
        }
      }
      return ValueInfoProto.newBuilder()
          .setName(name)
          .setType(
              TypeProto.newBuilder()
                  .setTensorType(
                      TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
          .build();
    }

    void node(String op, String name, List<String> inputs, String output, AttributeProto... attrs) {
      NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
      inputs.forEach(n::addInput);
      for (AttributeProto a : attrs) {
        n.addAttribute(a);
      }
      graph.addNode(n);
    }

    void floats(String name, float[] values, long... dims) {
      ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(values);
      tensor(name, TensorProto.DataType.FLOAT, buf, dims);
    }

    void ints(String name, int[] values, long... dims) {
      ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      buf.asIntBuffer().put(values);
      tensor(name, TensorProto.DataType.INT32, buf, dims);
    }

    /** An int64 tensor; no dims makes a scalar. */
    void longs(String name, long[] values, long... dims) {
      ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
      buf.asLongBuffer().put(values);
      tensor(name, TensorProto.DataType.INT64, buf, dims);
    }

    private void tensor(String name, TensorProto.DataType type, ByteBuffer data, long... dims) {
      TensorProto.Builder t =
          TensorProto.newBuilder()
              .setName(name)
              .setDataType(type.getNumber())
              .setRawData(ByteString.copyFrom(data.array()));
      for (long dim : dims) {
        t.addDims(dim);
      }
      graph.addInitializer(t);
    }
  }
}
