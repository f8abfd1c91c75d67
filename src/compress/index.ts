/**
 * `tensorkit/compress`: model compression with PyTorch's semantics and camelCase names —
 * quantization (torch.ao.quantization), pruning (torch.nn.utils.prune) and knowledge
 * distillation. See docs/compress.md.
 * @module compress
 */
export {};

// Pruning and distillation (h-prune).
export {
  l1Unstructured, randomUnstructured, lnStructured, globalUnstructured, customFromMask, identityPruning, removePruning, isPruned,
  prunedNames, restorePruning,
  type PruningAmount, type Pruned, type L1UnstructuredOptions, type RandomUnstructuredOptions, type LnStructuredOptions,
  type GlobalUnstructuredOptions, type UnstructuredMethod,
} from './prune';
export { PruningSchedule, type PruningScheduleOptions } from './prune-schedule';
export { distillationLoss, Distiller, type DistillationOptions, type DistillerOptions } from './distill';
