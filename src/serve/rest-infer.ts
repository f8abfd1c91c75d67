// The REST binding's inference bodies, in both forms the protocol defines: a JSON object, or a
// JSON object followed by binary tensor data (the binary tensor data extension of KServe and
// Triton: the `Inference-Header-Content-Length` header gives the JSON part's byte length; an input
// sent as binary has a `binary_data_size` parameter instead of `data`; an output asked for as
// binary, by its `binary_data` parameter or the request's `binary_data_output`, comes back the
// same way). The elements are checked by the one validator (server.ts's parseInferRequest).

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { encodeBinary, encodeData } from './datatypes';
import { HttpError, parseBody, sendText } from './http';
import type { InferRequestBody } from './infer-request';
import type { InferResult } from './server';

/** The extension's header: the byte length of the JSON part at the start of the body. */
export const INFERENCE_HEADER = 'inference-header-content-length';

/**
 * A request body's JSON part (parsed) and binary part: with an `Inference-Header-Content-Length`
 * of N, the first N bytes are the JSON object and the rest the inputs' binary data, in input
 * order; without the header, the whole body is JSON. A header that is not an integer from 0 to the
 * body's length is a 400.
 */
export function readInferBody(bytes: Buffer, headers: IncomingHttpHeaders, maxValues: number): InferRequestBody {
  const h = headers[INFERENCE_HEADER];
  if (h === undefined) return { body: parseBody(bytes.toString('utf8'), maxValues), binary: null };
  // A repeated header arrives joined with ", ", which is not an integer either.
  const text = Array.isArray(h) ? h.join(', ') : h.trim();
  const n = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!(n <= bytes.length)) {
    throw new HttpError(400, `the Inference-Header-Content-Length header must be the byte length of the JSON part, an integer from 0 to the body's ${bytes.length} bytes, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return { body: parseBody(bytes.subarray(0, n).toString('utf8'), maxValues), binary: { kind: 'blob', bytes: bytes.subarray(n) } };
}

/**
 * Answers an inference: `{ model_name, model_version, id, outputs }` as JSON, or, when an output
 * was asked for as binary, that JSON followed by the binary outputs in order (each output in the
 * JSON then has `parameters.binary_data_size` instead of `data`), as `application/octet-stream`
 * with the `Inference-Header-Content-Length` header.
 */
export function sendInferResponse(res: ServerResponse, r: InferResult): void {
  // The bytes JSON.stringify gives for { model_name, model_version, id, outputs }, built directly.
  const head = `{"model_name":${JSON.stringify(r.model_name)},"model_version":${JSON.stringify(r.model_version)},"id":${JSON.stringify(r.id)},"outputs":[`;
  if (!r.outputs.some((o) => o.binary)) {
    sendText(res, 200, `${head}${r.outputs.map(outputText).join(',')}]}`, 'application/json');
    return;
  }
  const parts: Uint8Array[] = [];
  const texts = r.outputs.map((o) => {
    if (!o.binary) return outputText(o);
    const b = encodeBinary(o.data, o.datatype);
    parts.push(b);
    return `${outputHead(o)},"parameters":{"binary_data_size":${b.length}}}`;
  });
  const json = Buffer.from(`${head}${texts.join(',')}]}`, 'utf8');
  sendText(res, 200, Buffer.concat([json, ...parts]), 'application/octet-stream', { [INFERENCE_HEADER]: String(json.length) });
}

/**
 * One response output `{ name, shape, datatype, data }` as JSON text, the bytes JSON.stringify gives
 * for it: finite float data is written by the typed array's `join` (Number-to-string, as
 * JSON.stringify writes numbers, without building an array of numbers first: a few times faster).
 */
function outputText(o: InferResult['outputs'][number]): string {
  const d = o.data;
  let finite = o.datatype === 'FP32' || o.datatype === 'FP64' || o.datatype === 'FP16';
  for (let i = 0; finite && i < d.length; i++) finite = d[i] - d[i] === 0;
  return `${outputHead(o)},"data":${finite ? `[${d.join(',')}]` : JSON.stringify(encodeData(d, o.datatype))}}`;
}

/** `{"name":…,"shape":…,"datatype":…` of a response output, as JSON.stringify writes it (unclosed). */
function outputHead(o: InferResult['outputs'][number]): string {
  return `{"name":${JSON.stringify(o.name)},"shape":${JSON.stringify(o.shape)},"datatype":${JSON.stringify(o.datatype)}`;
}
