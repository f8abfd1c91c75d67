export {
  Recommender, MatrixFactorization, BPR, ItemKNN, ContentBased, HybridRecommender, recommenderFromJSON,
  type Interactions, type IdArray, type RecommendOptions, type Recommendation, type RecommenderJSON, type RecommenderConfig,
  type MatrixFactorizationOptions, type MatrixFactorizationJSON, type BPROptions, type BPRJSON,
  type ItemKNNOptions, type ItemKNNJSON, type ContentBasedOptions, type ContentBasedJSON,
  type HybridComponent, type HybridOptions, type HybridConfigOptions, type HybridRecommenderJSON,
} from './recommenders';
export type { TrainState, TrainStateJSON } from './recommenders/common';
export { LinearRegression, type LinearRegressionOptions, type LinearRegressionParams, type LinearRegressionJSON, type LinearSolver } from './linear';
export { LogisticRegression, type LogisticRegressionOptions, type LogisticRegressionParams, type LogisticRegressionJSON } from './logistic';
export {
  MLPClassifier, MLPRegressor, type MLPOptions as MLPEstimatorOptions, type MLPParams, type MLPJSON, type MLPActivation,
} from './mlp-estimators';
export type { FeaturesLike, TargetsLike } from './estimator';
export {
  MLP, CNN, RecurrentClassifier, SequenceTagger, Seq2Seq, TransformerClassifier, TransformerLM, Word2Vec, Autoencoder,
  sequenceCrossEntropy, familyFromConfig, familyFactories, MODEL_FAMILIES,
  type MLPOptions, type CNNOptions, type ConvBlockOptions, type RecurrentCell, type RecurrentInputOptions,
  type RecurrentClassifierOptions, type SequenceTaggerOptions, type Seq2SeqOptions, type Seq2SeqAttention,
  type GreedyDecodeOptions, type BeamSearchOptions, type TransformerFamilyOptions, type TransformerClassifierOptions,
  type GenerateOptions, type Word2VecOptions, type Word2VecTrainOptions, type Word2VecTrainResult,
  type AutoencoderOptions, type FamilyActivation,
  VAE, type VAEOptions, type VAESampleOptions, type VAEDrawOptions, type VAEFitPriorOptions, type VAEPosterior, type ELBOTerms,
} from './families/index';
export { Detector, type DetectorOptions, type DetectOptions, type Detections } from './families/index';
export { modelClasses } from './registry';
