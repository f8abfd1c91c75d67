export { exportOnnx, type ExportOnnxOptions } from './export';
export { onnxInfo, type OnnxInfo, type OnnxValueInfo } from './info';
