export {
  Recommender, MatrixFactorization, BPR, ItemKNN, ContentBased, HybridRecommender, recommenderFromJSON,
  type Interactions, type IdArray, type RecommendOptions, type Recommendation, type RecommenderJSON,
  type MatrixFactorizationOptions, type MatrixFactorizationJSON, type BPROptions, type BPRJSON,
  type ItemKNNOptions, type ItemKNNJSON, type ContentBasedOptions, type ContentBasedJSON,
  type HybridComponent, type HybridOptions, type HybridRecommenderJSON,
} from './recommenders';
