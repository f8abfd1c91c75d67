// A client of the Open Inference Protocol v2 REST API and its model repository extension, written
// from the specification (kserve/open-inference-protocol inference_rest.md and
// open_inference_rest.yaml; KServe's required_api.md; Triton's extension_model_repository.md), not
// from tensorkit's server. Each call checks that the response has the shape the spec requires and
// throws a SpecViolation otherwise, so a conformance test fails on any deviation:
//
//   health        GET  v2/health/live, v2/health/ready: 200 = true, 4xx = false; body { live | ready: bool }
//   server meta   GET  v2 → { name: string, version: string, extensions: string[] }
//   model meta    GET  v2/models/<m>[/versions/<v>] → { name, versions?: string[], platform: string,
//                      inputs: $metadata_tensor[], outputs: $metadata_tensor[] }
//                      $metadata_tensor = { name: string, datatype: string, shape: int[] (-1 variable) }
//   model ready   GET  v2/models/<m>[/versions/<v>]/ready → 200 / 4xx, body { name, ready: bool }
//   inference     POST v2/models/<m>[/versions/<v>]/infer  $inference_request → $inference_response
//                      { model_name: string, model_version?: string, id: string (the request's id if given),
//                        parameters?: object, outputs: [{ name, shape: int[], datatype, parameters?, data }] }
//   errors        any failure: an HTTP error status and { "error": string }
//   binary data   (the binary tensor data extension, KServe's and Triton's binary_tensor_data.md)
//                 a request with binary inputs: header Inference-Header-Content-Length = byte length
//                 of the JSON part; body = JSON, then each binary input's bytes in input order;
//                 such an input has parameters.binary_data_size (bytes) and no data. Elements are
//                 little-endian, row-major, unpadded; BOOL one byte 0/1. An output is returned binary
//                 when its parameters.binary_data is true, or by default when the request's
//                 parameters.binary_data_output is true: it then has parameters.binary_data_size
//                 and no data, its bytes follow the response JSON in output order, and the response
//                 has the Inference-Header-Content-Length header.
//   repository    POST v2/repository/index { ready? } → [{ name, version?, state, reason }]
//                 POST v2/repository/models/<m>/load   { parameters? } → 200
//                 POST v2/repository/models/<m>/unload { parameters? } → 200

/** The datatypes of the protocol's Tensor Data Types table. */
export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'];

export class SpecViolation extends Error {}

/** An error response as the spec defines it: an HTTP error status and `{ error: string }`. */
export class OipError extends Error {
  constructor(readonly status: number, readonly body: { error: string }, readonly headers: Headers) {
    super(`${status}: ${body.error}`);
  }
}

export interface MetadataTensor { name: string; datatype: string; shape: number[] }
export interface ModelMetadata { name: string; versions?: string[]; platform: string; inputs: MetadataTensor[]; outputs: MetadataTensor[] }
export interface RequestInput { name: string; shape: number[]; datatype: string; parameters?: Record<string, unknown>; data: unknown[] }
export interface InferenceRequest { id?: string; parameters?: Record<string, unknown>; inputs: RequestInput[]; outputs?: { name: string; parameters?: Record<string, unknown> }[] }
export interface ResponseOutput { name: string; shape: number[]; datatype: string; parameters?: Record<string, unknown>; data: unknown[] }
export interface InferenceResponse { model_name: string; model_version?: string; id: string; parameters?: Record<string, unknown>; outputs: ResponseOutput[] }
export interface IndexEntry { name: string; version?: string; state: string; reason: string }

function must(cond: unknown, what: string): asserts cond {
  if (!cond) throw new SpecViolation(what);
}
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function checkMetadataTensor(t: unknown, where: string): void {
  must(isObj(t), `${where} must be an object`);
  must(typeof t.name === 'string', `${where}.name must be a string`);
  must(typeof t.datatype === 'string' && DATATYPES.includes(t.datatype), `${where}.datatype must be a protocol datatype, got ${String(t.datatype)}`);
  must(Array.isArray(t.shape) && t.shape.every((d) => isInt(d) && d >= -1), `${where}.shape must be integers (-1 for variable size)`);
}

/** Counts the elements of tensor data given flat or nested. */
function countElements(data: unknown): number {
  return Array.isArray(data) ? data.reduce((n: number, x) => n + (Array.isArray(x) ? countElements(x) : 1), 0) : 1;
}

export class OipClient {
  constructor(readonly base: string, private readonly headers: Record<string, string> = {}) {}

  /** The raw exchange: status, headers and parsed JSON body (or null for an empty one). */
  async raw(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
    const init: RequestInit = { method, headers: { ...this.headers, ...extraHeaders } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.base}/${path}`, init);
    const text = await res.text();
    let parsed: unknown = null;
    // Every protocol response is JSON; other endpoints (Prometheus /metrics) are read as text.
    if (text !== '' && (res.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new SpecViolation(`${method} ${path}: the body is not JSON: ${text.slice(0, 200)}`);
      }
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  /** A request whose failure must be `{ error: string }` with an error status. */
  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const r = await this.raw(method, path, body);
    if (r.status >= 400) {
      must(isObj(r.body) && typeof r.body.error === 'string', `${method} ${path}: an error response must be { error: string }, got ${r.text.slice(0, 200)}`);
      throw new OipError(r.status, r.body as { error: string }, r.headers);
    }
    must(r.status === 200, `${method} ${path}: success is 200, got ${r.status}`);
    return r;
  }

  /** Server Live: true for 200, false for 4xx. */
  async serverLive(): Promise<boolean> {
    return this.health('v2/health/live', 'live');
  }

  /** Server Ready: true for 200, false for 4xx. */
  async serverReady(): Promise<boolean> {
    return this.health('v2/health/ready', 'ready');
  }

  private async health(path: string, field: string): Promise<boolean> {
    const r = await this.raw('GET', path);
    must(r.status === 200 || (r.status >= 400 && r.status < 500), `GET ${path}: health is 200 or 4xx, got ${r.status}`);
    if (r.body !== null) must(isObj(r.body) && typeof r.body[field] === 'boolean' && r.body[field] === (r.status === 200), `GET ${path}: body must be { ${field}: bool } agreeing with the status`);
    return r.status === 200;
  }

  /** Model Ready: true for 200, false for 4xx (an unknown model may also be a 4xx error). */
  async modelReady(name: string, version?: string): Promise<boolean> {
    const path = `${this.modelPath(name, version)}/ready`;
    const r = await this.raw('GET', path);
    must(r.status === 200 || (r.status >= 400 && r.status < 500), `GET ${path}: model ready is 200 or 4xx, got ${r.status}`);
    if (isObj(r.body) && 'ready' in r.body) {
      must(r.body.name === name && typeof r.body.ready === 'boolean' && r.body.ready === (r.status === 200), `GET ${path}: body must be { name, ready } agreeing with the status`);
    } else if (r.status !== 200) {
      must(isObj(r.body) && typeof r.body.error === 'string', `GET ${path}: a 4xx without { name, ready } must be { error }`);
      throw new OipError(r.status, r.body as { error: string }, r.headers);
    }
    return r.status === 200;
  }

  /** Server Metadata. */
  async serverMetadata(): Promise<{ name: string; version: string; extensions: string[] }> {
    const { body } = await this.call('GET', 'v2');
    must(isObj(body) && typeof body.name === 'string' && typeof body.version === 'string', 'server metadata needs name and version strings');
    must(Array.isArray(body.extensions) && body.extensions.every((x) => typeof x === 'string'), 'server metadata extensions must be strings');
    return body as { name: string; version: string; extensions: string[] };
  }

  /** Model Metadata. */
  async modelMetadata(name: string, version?: string): Promise<ModelMetadata> {
    const { body } = await this.call('GET', this.modelPath(name, version));
    must(isObj(body), 'model metadata must be an object');
    must(body.name === name, `model metadata name must be ${name}, got ${String(body.name)}`);
    must(typeof body.platform === 'string', 'model metadata platform must be a string');
    if (body.versions !== undefined) must(Array.isArray(body.versions) && body.versions.every((v) => typeof v === 'string'), 'model metadata versions must be strings');
    for (const k of ['inputs', 'outputs']) {
      must(Array.isArray(body[k]), `model metadata ${k} must be an array`);
      (body[k] as unknown[]).forEach((t, i) => checkMetadataTensor(t, `${k}[${i}]`));
    }
    return body as unknown as ModelMetadata;
  }

  /** Inference: checks the response against the request (id echoed, requested outputs, data sizes). */
  async infer(name: string, request: InferenceRequest | string, version?: string): Promise<InferenceResponse> {
    const { body } = await this.call('POST', `${this.modelPath(name, version)}/infer`, request);
    must(isObj(body), 'an inference response must be an object');
    must(body.model_name === name, `model_name must be ${name}, got ${String(body.model_name)}`);
    if (body.model_version !== undefined) must(typeof body.model_version === 'string', 'model_version must be a string');
    if (version !== undefined) must(body.model_version === version, `model_version must be the requested ${version}, got ${String(body.model_version)}`);
    if (typeof request !== 'string' && request.id !== undefined) must(body.id === request.id, `id must echo the request's ${request.id}, got ${String(body.id)}`);
    if (body.id !== undefined) must(typeof body.id === 'string', 'id must be a string');
    if (body.parameters !== undefined) must(isObj(body.parameters), 'parameters must be an object');
    must(Array.isArray(body.outputs), 'outputs must be an array');
    for (const [i, o] of (body.outputs as unknown[]).entries()) {
      must(isObj(o) && typeof o.name === 'string' && typeof o.datatype === 'string' && DATATYPES.includes(o.datatype), `outputs[${i}] needs name and a protocol datatype`);
      must(Array.isArray(o.shape) && o.shape.every((d) => isInt(d) && d >= 0), `outputs[${i}].shape must be non-negative integers`);
      must(Array.isArray(o.data), `outputs[${i}].data must be an array`);
      const n = (o.shape as number[]).reduce((a, b) => a * b, 1);
      must(countElements(o.data) === n, `outputs[${i}] has ${countElements(o.data)} elements for shape [${String(o.shape)}]`);
      if (o.datatype === 'BOOL') must((o.data as unknown[]).flat(Infinity).every((x) => typeof x === 'boolean'), `outputs[${i}] BOOL data must be booleans`);
      else if (o.datatype.startsWith('INT') || o.datatype.startsWith('UINT')) must((o.data as unknown[]).flat(Infinity).every(isInt), `outputs[${i}] ${o.datatype} data must be integers`);
    }
    if (typeof request !== 'string' && request.outputs !== undefined) {
      must((body.outputs as ResponseOutput[]).map((o) => o.name).join() === request.outputs.map((o) => o.name).join(), 'outputs must be the requested ones');
    }
    return body as unknown as InferenceResponse;
  }

  /**
   * Inference with the binary tensor data extension: `binaries` are the bytes of the inputs that
   * carry `parameters.binary_data_size`, in input order. Returns the response JSON and the bytes of
   * each binary output by name, checked against the extension (sizes add up, header present).
   */
  async inferBinary(name: string, request: InferenceRequest, binaries: Uint8Array[], version?: string): Promise<{ response: InferenceResponse; binary: Map<string, Uint8Array>; headers: Headers }> {
    const json = new TextEncoder().encode(JSON.stringify(request));
    const body = new Uint8Array(json.length + binaries.reduce((n, b) => n + b.length, 0));
    body.set(json);
    let at = json.length;
    for (const b of binaries) {
      body.set(b, at);
      at += b.length;
    }
    const res = await fetch(`${this.base}/${this.modelPath(name, version)}/infer`, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
      body,
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const header = res.headers.get('inference-header-content-length');
    const jsonLength = header === null ? bytes.length : Number(header);
    must(Number.isInteger(jsonLength) && jsonLength >= 0 && jsonLength <= bytes.length, `Inference-Header-Content-Length must be an integer within the body, got ${String(header)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(0, jsonLength)));
    } catch {
      throw new SpecViolation('the JSON part of the response is not JSON');
    }
    if (res.status >= 400) {
      must(isObj(parsed) && typeof parsed.error === 'string', 'an error response must be { error: string }');
      throw new OipError(res.status, parsed as { error: string }, res.headers);
    }
    must(res.status === 200, `success is 200, got ${res.status}`);
    must(isObj(parsed) && parsed.model_name === name && Array.isArray(parsed.outputs), 'an inference response needs model_name and outputs');
    const binary = new Map<string, Uint8Array>();
    let offset = jsonLength;
    for (const [i, o] of (parsed.outputs as Record<string, unknown>[]).entries()) {
      const size = isObj(o.parameters) ? o.parameters.binary_data_size : undefined;
      if (size === undefined) {
        must(Array.isArray(o.data), `outputs[${i}] without binary_data_size must have data`);
        continue;
      }
      must(header !== null, 'a response with binary outputs must have the Inference-Header-Content-Length header');
      must(isInt(size) && size >= 0 && offset + size <= bytes.length, `outputs[${i}].parameters.binary_data_size must fit in the body`);
      must(o.data === undefined, `outputs[${i}] with binary_data_size must not have data`);
      binary.set(o.name as string, bytes.slice(offset, offset + size));
      offset += size;
    }
    must(offset === bytes.length, `the binary outputs' sizes add up to ${offset - jsonLength}, the binary part has ${bytes.length - jsonLength} bytes`);
    return { response: parsed as unknown as InferenceResponse, binary, headers: res.headers };
  }

  /** Repository Index. */
  async repositoryIndex(request: { ready?: boolean } = {}): Promise<IndexEntry[]> {
    const { body } = await this.call('POST', 'v2/repository/index', request);
    must(Array.isArray(body), 'the repository index is an array');
    for (const [i, e] of body.entries()) {
      must(isObj(e) && typeof e.name === 'string' && typeof e.state === 'string' && typeof e.reason === 'string', `index[${i}] needs name, state and reason strings`);
      if (e.version !== undefined) must(typeof e.version === 'string', `index[${i}].version must be a string`);
    }
    return body as IndexEntry[];
  }

  /** Repository Load. */
  async load(name: string, request?: { parameters?: Record<string, unknown> }): Promise<void> {
    await this.call('POST', `v2/repository/models/${encodeURIComponent(name)}/load`, request);
  }

  /** Repository Unload. */
  async unload(name: string, request?: { parameters?: Record<string, unknown> }): Promise<void> {
    await this.call('POST', `v2/repository/models/${encodeURIComponent(name)}/unload`, request);
  }

  modelPath(name: string, version?: string): string {
    return `v2/models/${encodeURIComponent(name)}${version === undefined ? '' : `/versions/${encodeURIComponent(version)}`}`;
  }
}
