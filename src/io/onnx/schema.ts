/**
 * ONNX's protobuf field numbers and enums (onnx/onnx.proto, IR version 8), used by the writer and
 * the reader so that neither spells a number twice.
 * @module
 */

/** Field numbers per message. @internal */
export const F = {
  Model: { ir_version: 1, producer_name: 2, producer_version: 3, domain: 4, model_version: 5, doc_string: 6, graph: 7, opset_import: 8, metadata_props: 14, training_info: 20, functions: 25 },
  OperatorSetId: { domain: 1, version: 2 },
  Graph: { node: 1, name: 2, initializer: 5, doc_string: 10, input: 11, output: 12, value_info: 13, sparse_initializer: 15 },
  Node: { input: 1, output: 2, name: 3, op_type: 4, attribute: 5, doc_string: 6, domain: 7 },
  Attribute: { name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, tensors: 10, graphs: 11, doc_string: 13, tp: 14, type: 20, ref_attr_name: 21, sparse_tensor: 22 },
  Tensor: { dims: 1, data_type: 2, segment: 3, float_data: 4, int32_data: 5, string_data: 6, int64_data: 7, name: 8, raw_data: 9, double_data: 10, uint64_data: 11, doc_string: 12, external_data: 13, data_location: 14 },
  ValueInfo: { name: 1, type: 2, doc_string: 3 },
  Type: { tensor_type: 1, sequence_type: 4, map_type: 5, denotation: 6, sparse_tensor_type: 8, optional_type: 9 },
  TypeTensor: { elem_type: 1, shape: 2 },
  Shape: { dim: 1 },
  Dim: { dim_value: 1, dim_param: 2, denotation: 3 },
} as const;

/** AttributeProto.AttributeType. @internal */
export const ATTR = { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14 } as const;

/** TensorProto.DataType. @internal */
export const DATA_TYPE = { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16 } as const;

/** DataType names by number, for messages and {@link onnxInfo}. @internal */
export const DATA_TYPE_NAME: Record<number, string> = Object.fromEntries(Object.entries(DATA_TYPE).map(([k, v]) => [v, k]));
