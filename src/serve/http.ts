import type { IncomingMessage, ServerResponse } from 'node:http';
import { TensorkitError } from '../tensor/index';
import { parseJsonStrict, type Json } from '../io/json';

/**
 * An error with the HTTP status it is answered with; the message is the `error` of the response
 * body, so it must say what was wrong in the request (never a stack trace).
 */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Writes `body` as JSON with `status`; non-finite numbers never reach here (encoded before). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes `body` (text or bytes) with `status`, a content type and extra headers. */
export function sendText(res: ServerResponse, status: number, body: string | Uint8Array, contentType: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length, ...headers });
  res.end(body);
}

/** Options of {@link readBody}. */
export interface BodyLimits {
  /** Largest body accepted, in bytes; counted while the body streams in, so a larger one is never buffered whole. */
  maxBodyBytes: number;
  /** Time allowed for the whole body to arrive, from the request's headers on; a slower client gets 408. */
  bodyTimeoutMs: number;
}

/**
 * Reads a request body as UTF-8 text within `limits`: a `content-length` above the limit is
 * refused at once (413), a chunked body as soon as its running count passes it (413), and a body
 * not complete within `bodyTimeoutMs` is 408. The connection of a refused body is closed after the
 * answer, so the rest of the body is never read.
 */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<string> {
  return (await readBodyBytes(req, limits)).toString('utf8');
}

/** {@link readBody}'s bytes, undecoded (the binary tensor data extension's bodies). */
export function readBodyBytes(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
      reject(new HttpError(413, `request body of ${declared} bytes is over the limit of ${limits.maxBodyBytes} bytes`, { connection: 'close' }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: HttpError | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err !== null) {
        // Stop reading the rest: it is never wanted, and the connection closes after the answer.
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limits.maxBodyBytes) finish(new HttpError(413, `request body is over the limit of ${limits.maxBodyBytes} bytes`, { connection: 'close' }));
      else chunks.push(c);
    };
    const onEnd = (): void => finish(null);
    const onError = (): void => finish(new HttpError(400, 'the request body could not be read (connection error)', { connection: 'close' }));
    const onAborted = (): void => finish(new HttpError(400, 'the client aborted the request', { connection: 'close' }));
    const timer = setTimeout(() => {
      finish(new HttpError(408, `the request body did not arrive within ${limits.bodyTimeoutMs} ms`, { connection: 'close' }));
    }, limits.bodyTimeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * Parses a request body as strict JSON (a repeated key or a `__proto__` key is refused, as
 * everywhere in tensorkit), nesting at most 64 deep and at most `maxValues` values. An empty body
 * is `emptyAs` when given, else a 400. The native `JSON.parse` reads the body when that provably
 * gives the strict parser's result (see `parseFast`); every refusal is worded by the strict parser.
 */
export function parseBody(text: string, maxValues: number, emptyAs?: Json): Json {
  if (text.trim() === '' && emptyAs !== undefined) return emptyAs;
  const fast = parseFast(text, maxValues);
  if (fast !== undefined) return fast;
  try {
    return parseJsonStrict(text, { what: 'request body', maxDepth: MAX_DEPTH, maxValues });
  } catch (e) {
    if (e instanceof TensorkitError) throw new HttpError(400, `malformed JSON: ${e.message}`);
    throw e;
  }
}

const MAX_DEPTH = 64;
// A surrogate code unit outside an escape: JSON.parse takes a lone one, the strict parser does not.
const LONE_SURROGATE_CANDIDATE = /[\ud800-\udfff]/;

/**
 * {@link parseBody}'s fast path: the native `JSON.parse` where it provably gives what
 * `parseJsonStrict` gives, else undefined (then the strict parser runs and words the error). A
 * body with a backslash (an escape: `JSON.parse` takes lone surrogate escapes) or a surrogate code
 * unit is left to the strict parser. Otherwise one scan outside strings counts `,` `:` `[` `{` and
 * the open containers: `1 + , + : + [ + {` bounds the strict parser's value count (every value and
 * key), so a body within `maxValues` by that bound is never built past the limit, and more than
 * `MAX_DEPTH` containers open at once is the strict parser's nesting error. The syntax being valid
 * once `JSON.parse` accepts it, each `{` is one object and each `:` one member, so fewer own keys
 * than `:` over the objects means a repeated key; the walk that counts them stops once it has met
 * every object (it never reads the arrays of numbers that follow). A `__proto__` key (an own key
 * under `JSON.parse`) also goes to the strict parser. Inference bodies are mostly numbers, which the
 * native parser reads several times faster.
 */
function parseFast(text: string, maxValues: number): Json | undefined {
  if (text.indexOf('\\') >= 0 || LONE_SURROGATE_CANDIDATE.test(text)) return undefined;
  let counted = 1;
  let members = 0;
  let objects = 0;
  let open = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // No escapes: the string ends at the next quote.
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      i = end;
    } else if (c === 0x2c) counted++;
    else if (c === 0x3a) {
      members++;
      counted++;
    } else if (c === 0x5b || c === 0x7b) {
      counted++;
      if (c === 0x7b) objects++;
      if (++open > MAX_DEPTH) return undefined;
    } else if (c === 0x5d || c === 0x7d) open--;
  }
  if (counted > maxValues) return undefined;
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
  const walk = { objects, keys: 0 };
  if (objects > 0 && !countKeys(doc, walk)) return undefined;
  return walk.keys === members ? doc : undefined;
}

/**
 * Adds the own keys of the objects in `v` to `walk.keys`, counting `walk.objects` down, and stops
 * descending once every object is met; false for a `__proto__` key.
 */
function countKeys(v: Json, walk: { objects: number; keys: number }): boolean {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && walk.objects > 0; i++) {
      const x = v[i];
      if (typeof x === 'object' && x !== null && !countKeys(x, walk)) return false;
    }
    return true;
  }
  if (typeof v !== 'object' || v === null) return true;
  if (Object.hasOwn(v, '__proto__')) return false;
  walk.objects--;
  for (const key in v) {
    walk.keys++;
    const x = v[key];
    if (walk.objects > 0 && typeof x === 'object' && x !== null && !countKeys(x, walk)) return false;
  }
  return true;
}
