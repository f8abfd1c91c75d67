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

/** Writes `text` with `status` and a content type. */
export function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
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
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<string> {
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
      } else resolve(Buffer.concat(chunks, size).toString('utf8'));
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
 * is `emptyAs` when given, else a 400.
 */
export function parseBody(text: string, maxValues: number, emptyAs?: Json): Json {
  if (text.trim() === '' && emptyAs !== undefined) return emptyAs;
  try {
    return parseJsonStrict(text, { what: 'request body', maxDepth: 64, maxValues });
  } catch (e) {
    if (e instanceof TensorkitError) throw new HttpError(400, `malformed JSON: ${e.message}`);
    throw e;
  }
}
