// A hand-encoded ONNX model computing Y = A·B for float32 A (m, k) and B (k, n), for the GEMM bench's
// onnxruntime peers (no Python onnx needed): protobuf written field by field (ModelProto with
// ir_version 8, opset 13, one MatMul node).

/** A protobuf varint (non-negative integers). */
export function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
/** A length-delimited field. */
export const bytes = (field: number, payload: number[] | Uint8Array): number[] => [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
/** A UTF-8 string field. */
export const str = (field: number, s: string): number[] => bytes(field, [...new TextEncoder().encode(s)]);
/** A varint field. */
export const int = (field: number, v: number): number[] => [...varint(field << 3), ...varint(v)];

/** ValueInfoProto: name, TypeProto{tensor_type{elem_type FLOAT, shape{dim{dim_value}…}}}. */
export function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  return [...str(1, name), ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, shape)]))];
}

/** The serialized model: inputs A (m, k), B (k, n), output Y (m, n). */
export function matmulModel(m: number, k: number, n: number): Uint8Array {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'Y'), ...str(3, 'mm'), ...str(4, 'MatMul')];
  const graph = [
    ...bytes(1, node), ...str(2, 'matmul'),
    ...bytes(11, valueInfo('A', [m, k])), ...bytes(11, valueInfo('B', [k, n])), ...bytes(12, valueInfo('Y', [m, n])),
  ];
  return Uint8Array.from([...int(1, 8), ...str(2, 'tensorkit-bench'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 13)])]);
}
