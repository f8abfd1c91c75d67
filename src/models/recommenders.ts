export {
  Recommender, type Interactions, type IdArray, type RecommendOptions, type Recommendation, type RecommenderJSON, type RecommenderConfig,
} from './recommenders/common';
export { MatrixFactorization, type MatrixFactorizationOptions, type MatrixFactorizationJSON } from './recommenders/mf';
export { BPR, type BPROptions, type BPRJSON } from './recommenders/bpr';
export { ItemKNN, type ItemKNNOptions, type ItemKNNJSON } from './recommenders/itemknn';
export { ContentBased, type ContentBasedOptions, type ContentBasedJSON } from './recommenders/content';
export {
  HybridRecommender, recommenderFromJSON, type HybridComponent, type HybridOptions, type HybridConfigOptions, type HybridRecommenderJSON,
} from './recommenders/hybrid';
