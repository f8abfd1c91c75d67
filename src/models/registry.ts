import {
  LabelEncoder, MinMaxScaler, OneHotEncoder, RobustScaler, SimpleImputer, StandardScaler,
} from '../data/index';
import { familyFactories } from './families/index';
import { LinearRegression } from './linear';
import { LogisticRegression } from './logistic';
import { MLPClassifier, MLPRegressor } from './mlp-estimators';
import { BPR, ContentBased, HybridRecommender, ItemKNN, MatrixFactorization } from './recommenders';

/**
 * Every savable class of models and data by its `config().type`: the model families, the estimators,
 * the recommenders and the preprocessing transformers. Each is rebuilt as `new C(config().options)`
 * (a container, HybridRecommender, as `new C({ ...options, children })`) and then given its
 * `loadStateDict(stateDict())`; pass the map as `loadModel`'s `registry` to load any of them from a
 * model file.
 * @example
 * const s = new StandardScaler().fit([[1], [3]]);
 * const copy = new modelClasses.StandardScaler(s.config().options) as StandardScaler;
 * copy.loadStateDict(s.stateDict());
 * copy.transform([[5]]).toArray(); // [3]
 * @category Models
 */
export const modelClasses: Readonly<Record<string, new (options: never) => object>> = Object.freeze({
  ...familyFactories,
  LinearRegression, LogisticRegression, MLPClassifier, MLPRegressor,
  MatrixFactorization, BPR, ItemKNN, ContentBased, HybridRecommender,
  StandardScaler, MinMaxScaler, RobustScaler, OneHotEncoder, LabelEncoder, SimpleImputer,
} as Record<string, new (options: never) => object>);
