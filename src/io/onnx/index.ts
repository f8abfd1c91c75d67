export { exportOnnx, type ExportOnnxOptions } from './export';
export { onnxInfo, type OnnxInfo, type OnnxValueInfo } from './info';
export { importOnnx, OnnxModel, type ImportOnnxOptions, type OnnxInputs } from './import';
