package io.streamrank.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.datasets.Rating;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {
  private static final List<Rating> ALL = SyntheticRatings.generate(60, 40, 6_000, 3);
  private static final List<Rating> TRAIN = ALL.subList(0, 5_000);
  private static final List<Rating> VALID = ALL.subList(5_000, 6_000);

  private static ModelConfig small() {
    return ModelConfig.builder()
        .embeddingDim(8)
        .hiddenLayers(16, 8)
        .epochs(8)
        .batchSize(64)
        .learningRate(0.01f)
        .threads(2)
        .build();
  }

  @Test
  void learnsBetterThanTheMean() {
    RankingModel model = new Trainer().train(TRAIN, VALID, small(), TrainingListener.NONE);
    double mean = TRAIN.stream().mapToDouble(Rating::rating).average().orElseThrow();
    float[] y = Metrics.labels(VALID);
    float[] constant = new float[y.length];
    java.util.Arrays.fill(constant, (float) mean);
    double baseline = Metrics.rmse(constant, y, y.length);
    assertThat(Metrics.rmse(model, VALID)).isLessThan(baseline * 0.75);
  }

  @Test
  void sameSeedAndThreadsGiveBitIdenticalWeights() {
    RankingModel a = new Trainer().train(TRAIN, VALID, small(), TrainingListener.NONE);
    RankingModel b = new Trainer().train(TRAIN, VALID, small(), TrainingListener.NONE);
    ModelWeights wa = a.weights();
    ModelWeights wb = b.weights();
    assertThat(wa.userFactors()).containsExactly(wb.userFactors());
    assertThat(wa.movieMlpEmbeddings()).containsExactly(wb.movieMlpEmbeddings());
    for (int l = 0; l < wa.numLayers(); l++) {
      assertThat(wa.kernel(l)).containsExactly(wb.kernel(l));
    }
    RankingModel c =
        new Trainer()
            .train(TRAIN, VALID, small().toBuilder().seed(7).build(), TrainingListener.NONE);
    assertThat(c.weights().userFactors()).isNotEqualTo(wa.userFactors());
  }

  @Test
  void listenerStopsTrainingAndSeesEveryEpoch() {
    List<double[]> seen = new ArrayList<>();
    new Trainer()
        .train(
            TRAIN,
            VALID,
            small(),
            (epoch, train, valid) -> {
              seen.add(new double[] {epoch, train, valid});
              return epoch < 2;
            });
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)[0]).isEqualTo(1);
    assertThat(seen.get(1)[2]).isBetween(0.0, 2.0);
  }

  @Test
  void aSessionContinuedInStepsTrainsAsOneRunWithoutRepeatingAnEpoch() {
    // Weight averaging and Adam's moments are both carried over.
    ModelConfig cfg = small().toBuilder().averageDecay(0.99f).patience(100).build();
    List<Double> once = new ArrayList<>();
    RankingModel whole =
        new Trainer()
            .train(
                TRAIN,
                VALID,
                cfg.toBuilder().epochs(5).build(),
                (epoch, train, valid) -> once.add(valid));
    List<Integer> epochs = new ArrayList<>();
    List<Double> stepped = new ArrayList<>();
    try (Trainer.Session s = new Trainer().start(TRAIN, null, VALID, null, cfg)) {
      TrainingListener record =
          (epoch, train, valid) -> {
            epochs.add(epoch);
            stepped.add(valid);
            return true;
          };
      s.trainTo(1, record);
      s.trainTo(1, record);
      assertThat(s.epochs()).isEqualTo(1);
      s.trainTo(3, record);
      s.trainTo(5, record);
      assertThat(s.epochs()).isEqualTo(5);
      assertThat(epochs).containsExactly(1, 2, 3, 4, 5);
      assertThat(stepped).containsExactlyElementsOf(once);
      ModelWeights a = whole.weights();
      ModelWeights b = s.model().weights();
      assertThat(b.userFactors()).containsExactly(a.userFactors());
      for (int l = 0; l < a.numLayers(); l++) {
        assertThat(b.kernel(l)).containsExactly(a.kernel(l));
      }
    }
  }

  @Test
  void aStoppedSessionTrainsNoMoreAndAClosedOneFails() {
    ModelConfig cfg = small().toBuilder().patience(1).learningRate(0.05f).l2Embedding(0).build();
    Trainer.Session s = new Trainer().start(TRAIN, null, VALID, null, cfg);
    s.trainTo(50, TrainingListener.NONE);
    assertThat(s.stopped()).isTrue();
    int stoppedAt = s.epochs();
    assertThat(stoppedAt).isLessThan(50);
    s.trainTo(60, TrainingListener.NONE);
    assertThat(s.epochs()).isEqualTo(stoppedAt);
    s.close();
    assertThatThrownBy(() -> s.trainTo(61, TrainingListener.NONE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void earlyStoppingRestoresTheBestEpoch() {
    // A learning rate this high overfits fast; the returned model must be the best epoch's.
    ModelConfig cfg =
        small().toBuilder().learningRate(0.05f).l2Embedding(0).epochs(20).patience(2).build();
    List<Double> valids = new ArrayList<>();
    RankingModel model =
        new Trainer()
            .train(
                TRAIN,
                VALID,
                cfg,
                (e, t, v) -> {
                  valids.add(v);
                  return true;
                });
    double best = valids.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    assertThat(valids.size()).isLessThan(20);
    assertThat(Metrics.rmse(model, VALID))
        .isCloseTo(best, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void adagradAndSharedEmbeddingsTrainToo() {
    ModelConfig cfg =
        small().toBuilder()
            .optimizer(ModelConfig.Optimizer.ADAGRAD)
            .learningRate(0.1f)
            .sharedEmbeddings(true)
            .build();
    RankingModel model = new Trainer().train(TRAIN, VALID, cfg, TrainingListener.NONE);
    assertThat(Metrics.rmse(model, VALID)).isLessThan(0.8);
    assertThat(model.weights().sharedEmbeddings()).isTrue();
  }

  @Test
  void hogwildTrainsToo() {
    ModelConfig cfg = small().toBuilder().parallelism(ModelConfig.Parallelism.HOGWILD).build();
    RankingModel hogwild = new Trainer().train(TRAIN, VALID, cfg, TrainingListener.NONE);
    RankingModel sync = new Trainer().train(TRAIN, VALID, small(), TrainingListener.NONE);
    assertThat(Metrics.rmse(hogwild, VALID)).isLessThan(Metrics.rmse(sync, VALID) + 0.05);
  }

  @Test
  void unknownIdsUseTheOutOfVocabularyRow() {
    RankingModel model = new Trainer().train(TRAIN, VALID, small(), TrainingListener.NONE);
    assertThat(model.knowsUser(1)).isTrue();
    assertThat(model.knowsUser(10_000)).isFalse();
    assertThat(model.predict(10_000, 1, null)).isEqualTo(model.predict(-5, 1, null));
    assertThat(model.predict(10_000, 99_999, null)).isBetween(1f, 5f);
  }

  @Test
  void featuresAreFedToTheMlp() {
    ModelConfig cfg = small().toBuilder().numFeatures(3).build();
    float[][] tf = SyntheticRatings.features(TRAIN, 3);
    float[][] vf = SyntheticRatings.features(VALID, 3);
    RankingModel model = new Trainer().train(TRAIN, tf, VALID, vf, cfg, TrainingListener.NONE);
    assertThat(model.numFeatures()).isEqualTo(3);
    float a = model.predict(1, 1, new float[] {0, 0, 0});
    float b = model.predict(1, 1, new float[] {3, -3, 3});
    assertThat(a).isNotEqualTo(b);
    assertThatThrownBy(() -> model.predict(1, 1, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 3 feature values");
    assertThatThrownBy(() -> new Trainer().train(TRAIN, VALID, cfg, TrainingListener.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trainFeatures");
  }
}
