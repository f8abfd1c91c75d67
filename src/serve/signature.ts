import { ArgumentError, Tensor, TensorkitError, noGrad } from '../tensor/index';
import { describe } from '../tensor/shape';
import { parseJsonStrict } from '../io/json';
import { isDatatype, type Datatype } from './datatypes';
import { HttpError } from './http';

/**
 * One tensor of a model's signature, as the protocol's model metadata writes it: `shape` has `-1`
 * for each variable-size axis, and axis 0 is always the batch axis (`-1`).
 * @category Serve
 */
export interface TensorSpec {
  /** The tensor's name in requests and responses. */
  name: string;
  /** Its datatype (`FP32` unless declared otherwise). */
  datatype: Datatype;
  /** Its shape, `-1` for variable-size axes; axis 0 is the batch axis. */
  shape: number[];
}

/**
 * What a served model takes and returns: its inputs, passed to `forward` positionally in this
 * order, and its outputs (`forward` returns one tensor, or an array of them in this order).
 * @category Serve
 */
export interface ModelSignature {
  /** The inputs, in the order `forward` takes them. */
  inputs: TensorSpec[];
  /** The outputs, in the order `forward` returns them. */
  outputs: TensorSpec[];
}

/** What the server can run: an object whose `forward` takes float32 tensors (every Module is one). @category Serve */
export interface Servable {
  /** Computes the outputs from the inputs; batch axis first. */
  forward(...inputs: never[]): unknown;
}

/** One input of a {@link SignatureSpec}. @category Serve */
export interface SignatureInput {
  /** The input's name in requests. */
  name: string;
  /** Its shape: -1 first (the batch axis), then sizes or -1 for variable ones. */
  shape: number[];
  /** Its datatype (default FP32). */
  datatype?: Datatype;
}

/** One output of a {@link SignatureSpec}. @category Serve */
export interface SignatureOutput {
  /** The output's name in responses. */
  name: string;
  /** Its shape (-1 first); omitted, a probe forward pass finds it. */
  shape?: number[];
  /** Its datatype (default FP32). */
  datatype?: Datatype;
}

/**
 * A signature as a user (createServer's `signatures`) or a model file (`metadata.signature`, as
 * JSON) declares it: datatypes default to FP32; output shapes may be left to a probe forward pass
 * on one zero row when every input axis but the batch has a fixed size.
 * @category Serve
 */
export interface SignatureSpec {
  /** The inputs, in the order `forward` takes them. */
  inputs: SignatureInput[];
  /** The outputs, in the order `forward` returns them (default: one output named `output`, found by the probe). */
  outputs?: SignatureOutput[];
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

function bad(where: string, msg: string): never {
  throw new ArgumentError(`${where}: ${msg}`);
}

function checkSpecShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0) bad(where, `shape must be a non-empty array with -1 first (the batch axis), got ${describe(shape)}`);
  const s = shape as unknown[];
  if (s[0] !== -1) bad(where, `shape[0] must be -1 (the batch axis), got ${describe(s[0])}`);
  for (let i = 1; i < s.length; i++) {
    const d = s[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < -1) bad(where, `shape[${i}] must be a non-negative integer or -1, got ${describe(d)}`);
  }
  return s as number[];
}

/** Validates a signature given by a user or read from a file (everything but output shapes). */
export function checkSignatureSpec(spec: unknown, where: string): SignatureSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) bad(where, `a signature must be an object { inputs, outputs? }, got ${describe(spec)}`);
  const o = spec as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'inputs' && k !== 'outputs') bad(where, `unknown signature key ${JSON.stringify(k)} (a signature has inputs and outputs)`);
  const tensors = (v: unknown, what: string, needShape: boolean): SignatureSpec['inputs'] => {
    if (!Array.isArray(v) || v.length === 0) bad(where, `${what} must be a non-empty array, got ${describe(v)}`);
    const seen = new Set<string>();
    return (v as unknown[]).map((t, i) => {
      const w = `${what}[${i}]`;
      if (typeof t !== 'object' || t === null || Array.isArray(t)) bad(where, `${w} must be an object { name, shape, datatype? }, got ${describe(t)}`);
      const { name, shape, datatype, ...rest } = t as Record<string, unknown>;
      const extra = Object.keys(rest);
      if (extra.length > 0) bad(where, `${w} has unknown key ${JSON.stringify(extra[0])}`);
      if (typeof name !== 'string' || !NAME_RE.test(name)) bad(where, `${w}.name must be 1–128 characters of [A-Za-z0-9_.:-], got ${describe(name)}`);
      if (seen.has(name as string)) bad(where, `${what} names ${JSON.stringify(name)} twice`);
      seen.add(name as string);
      if (datatype !== undefined && !isDatatype(datatype)) bad(where, `${w}.datatype must be a protocol datatype (FP32, INT64, BOOL, …), got ${describe(datatype)}`);
      const out: SignatureSpec['inputs'][number] = { name: name as string, shape: [] };
      if (shape !== undefined || needShape) out.shape = checkSpecShape(shape, `${where} ${w}`);
      else (out as { shape?: number[] }).shape = undefined;
      if (datatype !== undefined) out.datatype = datatype as Datatype;
      return out;
    });
  };
  const inputs = tensors(o.inputs, 'inputs', true);
  const outputs = o.outputs === undefined ? undefined : tensors(o.outputs, 'outputs', false);
  return { inputs, outputs };
}

/** A signature stored in a model file's metadata under the key `signature` (JSON), or null. */
export function signatureFromMetadata(metadata: Record<string, string>, where: string): SignatureSpec | null {
  if (!Object.hasOwn(metadata, 'signature')) return null;
  const doc = parseJsonStrict(metadata.signature, { what: `${where}: metadata.signature`, maxDepth: 8 });
  return checkSignatureSpec(doc, `${where}: metadata.signature`);
}

/**
 * The input signature read off the model when none is declared: the first submodule with a
 * numeric `inFeatures` (Linear, and the compress layers that replace it) gives one FP32 input
 * `input` of shape [-1, inFeatures]. Null when there is none (convolutions, embeddings and custom
 * models declare their signature).
 */
export function inferInputs(model: Servable): SignatureSpec['inputs'] | null {
  const mods = typeof (model as { modules?: unknown }).modules === 'function' ? (model as unknown as { modules(): unknown[] }).modules() : [model];
  for (const m of mods) {
    const f = (m as { inFeatures?: unknown }).inFeatures;
    if (typeof f === 'number' && Number.isSafeInteger(f) && f > 0) return [{ name: 'input', shape: [-1, f], datatype: 'FP32' }];
  }
  return null;
}

/** A tensor that travels in or out of a model: float32 data, batch axis first. */
export interface Plain {
  data: Float32Array;
  shape: number[];
}

/**
 * Runs `forward` without recording gradients on float32 inputs and returns the outputs as plain
 * arrays; `expected` is the number of outputs the signature declares.
 * @throws TensorkitError when the model returns something that is not a tensor (or array of them).
 */
export function runForward(model: Servable, inputs: readonly Plain[], expected: number, where: string): Plain[] {
  return noGrad(() => {
    const ts = inputs.map((p) => new Tensor(p.data, p.shape));
    const out = (model.forward as (...xs: Tensor[]) => unknown)(...ts);
    const list = Array.isArray(out) ? out : [out];
    if (list.length !== expected || !list.every((t) => t instanceof Tensor)) {
      throw new TensorkitError('INVALID_FORMAT', `${where}: forward returned ${Array.isArray(out) ? `${out.length} values` : describe(out)}, expected ${expected} tensor${expected === 1 ? '' : 's'} (the signature's outputs)`);
    }
    return (list as Tensor[]).map((t) => ({ data: t.data, shape: [...t.shape] }));
  });
}

/**
 * The full signature of a model: the declared one, or the inputs read off the model; output shapes
 * not declared are found by one forward pass on a batch of one zero row (which must give outputs
 * with a batch axis of 1). Datatypes default to FP32.
 * @throws TensorkitError when the inputs cannot be read off the model, or the output shapes
 * cannot be probed (an input axis other than the batch is -1).
 */
export function resolveSignature(model: Servable, spec: SignatureSpec | null, where: string): ModelSignature {
  const inputs = spec?.inputs ?? inferInputs(model);
  if (inputs === null) bad(where, 'the input signature cannot be read off this model; declare it (createServer signatures option, or metadata.signature in the model file)');
  const ins: TensorSpec[] = inputs.map((t) => ({ name: t.name, datatype: t.datatype ?? 'FP32', shape: [...t.shape] }));
  const declared = spec?.outputs;
  if (declared !== undefined && declared.every((o) => o.shape !== undefined)) {
    return { inputs: ins, outputs: declared.map((o) => ({ name: o.name, datatype: o.datatype ?? 'FP32', shape: [...o.shape!] })) };
  }
  if (ins.some((t) => t.shape.slice(1).includes(-1))) bad(where, 'output shapes cannot be probed while an input axis other than the batch is -1; declare the outputs with their shapes');
  const probe = ins.map((t) => ({ data: new Float32Array(t.shape.slice(1).reduce((a, b) => a * b, 1)), shape: [1, ...t.shape.slice(1)] }));
  const n = declared?.length ?? null;
  let outs: Plain[];
  try {
    outs = noGrad(() => {
      const o = (model.forward as (...xs: Tensor[]) => unknown)(...probe.map((p) => new Tensor(p.data, p.shape)));
      const list = Array.isArray(o) ? o : [o];
      if (!list.every((t) => t instanceof Tensor) || (n !== null && list.length !== n)) bad(where, `the probe forward pass returned ${describe(o)}, not ${n ?? 'a'} tensor${n === 1 || n === null ? '' : 's'}`);
      return (list as Tensor[]).map((t) => ({ data: t.data, shape: [...t.shape] }));
    });
  } catch (e) {
    if (e instanceof TensorkitError) bad(where, `the probe forward pass on a batch of one failed: ${e.message}`);
    throw e;
  }
  return {
    inputs: ins,
    outputs: outs.map((o, i) => {
      if (o.shape.length === 0 || o.shape[0] !== 1) bad(where, `the probe forward pass gave output ${i} of shape [${o.shape.join(', ')}], which has no batch axis of 1`);
      const d = declared?.[i];
      return { name: d?.name ?? (outs.length === 1 ? 'output' : `output${i}`), datatype: d?.datatype ?? 'FP32', shape: [-1, ...o.shape.slice(1)] };
    }),
  };
}

/** A request input matched against its spec: datatype and every fixed axis must agree. */
export function checkAgainstSpec(spec: TensorSpec, shape: readonly number[], datatype: string, where: string): void {
  if (datatype !== spec.datatype) throw new HttpError(400, `${where}: datatype ${datatype} does not match the model's ${spec.datatype} for input ${JSON.stringify(spec.name)}`);
  const ok = shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === shape[i]);
  if (!ok) throw new HttpError(400, `${where}: shape [${shape.join(', ')}] does not match the model's [${spec.shape.join(', ')}] for input ${JSON.stringify(spec.name)} (-1 takes every size)`);
}
