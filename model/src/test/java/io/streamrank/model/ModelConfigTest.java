package io.streamrank.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
  @Test
  void mapRoundTripsThroughJson() throws Exception {
    ModelConfig cfg =
        ModelConfig.builder()
            .hiddenLayers(7, 3)
            .optimizer(ModelConfig.Optimizer.ADAGRAD)
            .learningRate(0.123f)
            .seed(99)
            .numFeatures(2)
            .build();
    ObjectMapper json = new ObjectMapper();
    @SuppressWarnings("unchecked")
    Map<String, Object> back = json.readValue(json.writeValueAsString(cfg.toMap()), Map.class);
    assertThat(ModelConfig.fromMap(back)).isEqualTo(cfg);
    assertThat(cfg.toBuilder().build()).isEqualTo(cfg);
    assertThat(cfg.toMap()).containsEntry("learning_rate", 0.123f).containsKey("hidden_layers");
  }

  @Test
  void buildRejectsBadValuesNamingTheSetting() {
    assertThatThrownBy(() -> ModelConfig.builder().learningRate(0).build())
        .hasMessageContaining("learningRate");
    assertThatThrownBy(() -> ModelConfig.builder().hiddenLayers(4, 0).build())
        .hasMessageContaining("hiddenLayers");
    assertThatThrownBy(() -> ModelConfig.builder().oovRate(1f).build())
        .hasMessageContaining("oovRate");
    assertThatThrownBy(() -> ModelConfig.fromMap(Map.of("learning_rat", 1)))
        .hasMessageContaining("unknown hyperparameter 'learning_rat'");
  }

  @Test
  void hiddenLayersAreCopied() {
    int[] h = {4, 2};
    ModelConfig cfg = ModelConfig.builder().hiddenLayers(h).build();
    h[0] = 99;
    cfg.hiddenLayers()[1] = 99;
    assertThat(cfg.hiddenLayers()).containsExactly(4, 2);
  }
}
