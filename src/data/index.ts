export { TensorDataset, DataLoader, type Dataset, type DataLoaderOptions, type Collated } from './dataset';
export {
  StandardScaler, MinMaxScaler, RobustScaler,
  type StandardScalerOptions, type StandardScalerJSON, type MinMaxScalerOptions, type MinMaxScalerJSON,
  type RobustScalerOptions, type RobustScalerJSON,
} from './scalers';
export {
  OneHotEncoder, LabelEncoder,
  type Category, type CategoricalInput, type LabelsLike, type OneHotEncoderOptions, type OneHotEncoderJSON, type LabelEncoderOptions, type LabelEncoderJSON,
} from './encoders';
export {
  SimpleImputer, dropNonFinite, clipOutliers,
  type ImputeStrategy, type SimpleImputerOptions, type SimpleImputerJSON, type DropNonFiniteResult, type DropNonFiniteXYResult,
  type ClipOutliersOptions,
} from './clean';
export {
  trainTestSplit, kFold, stratifiedKFold,
  type SamplesLike, type TrainTestSplitOptions, type TrainTestSplitX, type TrainTestSplitXY, type Fold, type KFoldOptions,
} from './split';
export { parseCsv, type CsvOptions, type CsvTable } from './csv';
export {
  pseudonymize, pseudonymizeColumns, MIN_PSEUDONYM_KEY_BYTES, maskString, truncateString, generalize, topCode, truncateDate, kAnonymity, isKAnonymous, lDiversity,
  type TableCell, type ColumnLike, type TableLike, type Identifier, type PseudonymKey, type PseudonymizeOptions, type MaskOptions, type TruncateStringOptions,
  type GeneralizeOptions, type TopCodeOptions, type TruncateDateOptions, type EquivalenceClass, type KAnonymityResult, type KAnonymityOptions,
  type DiverseClass, type LDiversityResult, type LDiversityOptions,
} from './protect';
export { type MatrixLike } from './util';
export {
  type FittedConfig, type SavableState, type StateEntry, type LoadStateOptions, type LoadStateResult, type SavableJSON, type TensorJSON,
} from './savable';
export * from './synthetic';
export * from './augment';
export * from './synthetic-detection';
