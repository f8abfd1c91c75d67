export { type Dtype } from './dtypes';
export {
  saveSafetensors, loadSafetensors, inspectSafetensors, MAX_HEADER_BYTES, MAX_TENSORS, MAX_HEADER_VALUES,
  type TypedTensor, type TypedData, type SafetensorsContents, type SafetensorsEntryInfo, type SafetensorsHeader,
} from './safetensors';
export {
  saveModel, loadModel, Constructors, MODEL_FORMAT_VERSION, MAX_CONFIG_DEPTH, MAX_CONFIG_MODULES,
  type Savable, type SavableConfig, type SavableClass, type ModuleFactory, type OptimizerStateSource, type StatefulOptimizer, type SaveModelOptions, type LoadModelOptions, type LoadedModel,
} from './model';
export {
  encryptModel, decryptModel, isEncryptedModel, generateModelKey, signModel, verifyModel, generateSigningKeys,
  ENCRYPTION_FORMAT_VERSION, PBKDF2_ITERATIONS, MIN_PBKDF2_ITERATIONS, MAX_PBKDF2_ITERATIONS,
  type ModelKey, type PassphraseKey, type SigningAlgorithm, type SigningKeyPair,
} from './security';
export {
  AuditLog, verifyAuditLog, AUDIT_GENESIS,
  type AuditRecord, type AuditEntry, type AuditHead, type AuditLogOptions, type AuditVerification,
} from './audit';
export { type Json } from './json';
export { AuditCallback, fingerprintData, type AuditCallbackOptions, type FitAuditDetails } from './audit-callback';
export { modelCard, type ModelCardOptions } from './model-card';
export { exportOnnx, onnxInfo, type ExportOnnxOptions, type OnnxInfo, type OnnxValueInfo } from './onnx/index';
export { importOnnx, OnnxModel, type ImportOnnxOptions, type OnnxInputs } from './onnx/index';
