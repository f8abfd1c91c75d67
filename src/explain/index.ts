export { type Predictor } from './predictor';
export {
  permutationImportance, partialDependence,
  type PermutationImportanceOptions, type PermutationImportance, type PartialDependenceOptions, type PartialDependence,
} from './inspection';
export {
  saliency, inputXGradient, integratedGradients,
  type Target, type Attribution, type IntegratedGradientsResult, type IntegratedGradientsOptions, type IntegrationMethod,
} from './gradients';
export { kernelShap, linearShap, type ShapExplanation, type KernelShapOptions } from './shap';
export { lime, type LimeOptions, type LimeExplanation } from './lime';
