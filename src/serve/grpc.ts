// The Open Inference Protocol's gRPC binding on node:http2 (cleartext HTTP/2, "h2c"): the gRPC
// framing and status codes. Each call is handed to the same operations as a REST request
// (server.ts), so keys, rate limits, versions, batching, monitors, metrics and audit are shared;
// this file only moves bytes and maps errors. See docs/serving.md, "gRPC".

import { createServer as createHttp2Server, constants, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzip, inflate } from 'node:zlib';
import { describe } from '../tensor/shape';
import { decodeEmpty, decodeInferRequest, decodeModelRequest, encodeBool, encodeInferResponse, encodeModelMetadata, encodeServerMetadata } from './grpc-messages';
import { HttpError } from './http';
import type { InferRequestBody } from './infer-request';
import type { Ctx, InferResult, ModelMetadata } from './server';

/** gRPC status codes (grpc/doc/statuscodes.md) the server answers with. */
export const GRPC_STATUS = {
  OK: 0, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16,
} as const;

/**
 * The gRPC status of an HTTP status the shared handlers raise: 400 INVALID_ARGUMENT, 401
 * UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, 408 DEADLINE_EXCEEDED, 409
 * FAILED_PRECONDITION, 413 and 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE (a draining server, or a
 * model without a servable version: clients retry it), every other 5xx INTERNAL.
 */
export function grpcStatusOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400: return GRPC_STATUS.INVALID_ARGUMENT;
    case 401: return GRPC_STATUS.UNAUTHENTICATED;
    case 403: return GRPC_STATUS.PERMISSION_DENIED;
    case 404: return GRPC_STATUS.NOT_FOUND;
    case 408: return GRPC_STATUS.DEADLINE_EXCEEDED;
    case 409: return GRPC_STATUS.FAILED_PRECONDITION;
    case 413: case 429: return GRPC_STATUS.RESOURCE_EXHAUSTED;
    case 503: return GRPC_STATUS.UNAVAILABLE;
    default: return httpStatus >= 500 ? GRPC_STATUS.INTERNAL : GRPC_STATUS.INVALID_ARGUMENT;
  }
}

/**
 * `grpc-message` as the gRPC HTTP/2 spec writes it: UTF-8, with every byte outside printable
 * ASCII, and '%', percent-encoded.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const b of Buffer.from(message, 'utf8')) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** What the transport calls: the server's operations, shared with REST. @internal */
export interface GrpcBackend {
  limits: { maxBodyBytes: number; bodyTimeoutMs: number; maxValues: number };
  log(message: string): void;
  track(): { ctx: Ctx; end: (status: number) => void };
  draining(): boolean;
  serverLive(): boolean;
  serverReady(): boolean;
  serverMetadata(req: { headers: IncomingHttpHeaders }, ctx: Ctx): { name: string; version: string; extensions: string[] };
  modelReady(req: { headers: IncomingHttpHeaders }, ctx: Ctx, name: string, version: string | undefined): Promise<boolean>;
  modelMetadata(req: { headers: IncomingHttpHeaders }, ctx: Ctx, name: string, version: string | undefined): Promise<ModelMetadata>;
  infer(req: { headers: IncomingHttpHeaders }, ctx: Ctx, name: string, version: string | undefined, readRequest: () => Promise<InferRequestBody>): Promise<InferResult>;
}

/** The gRPC transport of one server. @internal */
export interface GrpcTransport {
  readonly http2: Http2Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting connections and sends GOAWAY on each; resolves once every connection has closed. */
  close(): Promise<void>;
  /** Cuts every connection (after close's timeout). */
  destroy(): void;
}

const SERVICE = '/inference.GRPCInferenceService/';
const ENCODINGS = 'identity,gzip,deflate';
type Method = (b: GrpcBackend, req: { headers: IncomingHttpHeaders }, ctx: Ctx, message: Uint8Array) => Promise<Uint8Array>;

/** The service's methods: the request message, the shared operation, the response message. */
const METHODS: Record<string, { endpoint: Ctx['endpoint']; run: Method }> = {
  ServerLive: {
    endpoint: 'health',
    run: async (b, _req, _ctx, m) => {
      decodeEmpty('ServerLiveRequest', m);
      return encodeBool(b.serverLive());
    },
  },
  ServerReady: {
    endpoint: 'health',
    run: async (b, _req, _ctx, m) => {
      decodeEmpty('ServerReadyRequest', m);
      return encodeBool(b.serverReady());
    },
  },
  ServerMetadata: {
    endpoint: 'server_metadata',
    run: async (b, req, ctx, m) => {
      decodeEmpty('ServerMetadataRequest', m);
      return encodeServerMetadata(b.serverMetadata(req, ctx));
    },
  },
  ModelReady: {
    endpoint: 'model_ready',
    run: async (b, req, ctx, m) => {
      const { name, version } = decodeModelRequest('ModelReadyRequest', m);
      ctx.model = name;
      return encodeBool(await b.modelReady(req, ctx, name, version));
    },
  },
  ModelMetadata: {
    endpoint: 'model_metadata',
    run: async (b, req, ctx, m) => {
      const { name, version } = decodeModelRequest('ModelMetadataRequest', m);
      ctx.model = name;
      return encodeModelMetadata(await b.modelMetadata(req, ctx, name, version));
    },
  },
  ModelInfer: {
    endpoint: 'infer',
    run: async (b, req, ctx, m) => {
      const d = decodeInferRequest(m, b.limits.maxValues);
      ctx.model = d.name;
      if (d.version !== undefined) ctx.version = d.version;
      const binary = d.rawContents === null ? null : { kind: 'raw' as const, entries: d.rawContents };
      return encodeInferResponse(await b.infer(req, ctx, d.name, d.version, async () => ({ body: d.body, binary })), d.raw);
    },
  },
};

/**
 * Reads the one length-prefixed message of a unary call: 5 bytes (compressed flag, big-endian
 * length), then the message. A length over `maxBodyBytes` is refused from the prefix, before its
 * bytes are read; memory grows with the bytes that arrive, never with the length a prefix claims.
 * A second message, a truncated one, or a call slower than `bodyTimeoutMs` is refused too. A
 * compressed message (flag 1) is inflated within the same limit.
 */
function readMessage(stream: ServerHttp2Stream, encoding: string, limits: GrpcBackend['limits']): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const prefix = Buffer.alloc(5);
    let have = 0;
    const parts: Buffer[] = [];
    let len = -1;
    let got = 0;
    let flag = 0;
    let done = false;
    const finish = (err: HttpError | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('aborted', onAborted);
      if (err !== null) {
        reject(err);
        return;
      }
      const msg = Buffer.concat(parts, len);
      if (flag === 0) resolve(msg);
      else {
        const inflater = encoding === 'gzip' ? gunzip : inflate;
        inflater(msg, { maxOutputLength: limits.maxBodyBytes }, (e, out) => {
          if (e === null) resolve(out);
          else if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(new HttpError(413, `the ${encoding} message inflates past the limit of ${limits.maxBodyBytes} bytes`));
          else reject(new HttpError(400, `the ${encoding} message cannot be inflated: ${e.message}`));
        });
      }
    };
    const onData = (chunk: Buffer): void => {
      let off = 0;
      while (off < chunk.length && !done) {
        if (len >= 0 && got === len) {
          finish(new HttpError(400, 'a unary call takes one message; the request has more'));
          return;
        }
        if (have < 5) {
          const n = Math.min(5 - have, chunk.length - off);
          chunk.copy(prefix, have, off, off + n);
          have += n;
          off += n;
          if (have < 5) return;
          flag = prefix[0];
          const claimed = prefix.readUInt32BE(1);
          if (flag > 1) return finish(new HttpError(400, `malformed gRPC frame: compressed flag ${flag} (0 or 1)`));
          if (flag === 1 && encoding === 'identity') return finish(new HttpError(400, 'malformed gRPC frame: a compressed message without grpc-encoding'));
          if (claimed > limits.maxBodyBytes) return finish(new HttpError(413, `request message of ${claimed} bytes is over the limit of ${limits.maxBodyBytes} bytes`));
          len = claimed;
          continue;
        }
        const n = Math.min(len - got, chunk.length - off);
        parts.push(chunk.subarray(off, off + n));
        got += n;
        off += n;
      }
    };
    const onEnd = (): void => {
      if (len < 0 || got < len) finish(new HttpError(400, have === 0 ? 'the call ended without a request message' : 'malformed gRPC frame: the request message is truncated'));
      else finish(null);
    };
    const onAborted = (): void => finish(new HttpError(400, 'the client aborted the call'));
    const timer = setTimeout(() => finish(new HttpError(408, `the request message did not arrive within ${limits.bodyTimeoutMs} ms`)), limits.bodyTimeoutMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('aborted', onAborted);
  });
}

/** A trailers-only answer: HTTP 200, then `grpc-status` and `grpc-message` in the one header block. */
function respondError(stream: ServerHttp2Stream, status: number, message: string, extra: Record<string, string> = {}): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': encodeGrpcMessage(message), ...extra }, { endStream: true });
}

/** An OK answer: headers, one uncompressed length-prefixed message, trailers with `grpc-status: 0`. */
function respondMessage(stream: ServerHttp2Stream, message: Uint8Array): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': ENCODINGS }, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  stream.end(frame);
}

/** The gRPC transport over `backend`. @internal */
export function createGrpcTransport(backend: GrpcBackend): GrpcTransport {
  const sessions = new Set<Http2Session>();
  // At most 100 calls at once per connection (the usual gRPC server default); more wait in the client.
  const http2 = createHttp2Server({ settings: { maxConcurrentStreams: 100 } });
  http2.on('session', (s: Http2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
    // A broken connection ends its calls; it is never a server fault.
    s.on('error', () => undefined);
  });

  http2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => undefined);
    const path = headers[':path'] ?? '';
    const type = headers['content-type'] ?? '';
    if (!/^application\/grpc(\+proto)?(;|$)/.test(type)) {
      // Not a gRPC call: the spec's answer is HTTP 415.
      if (!stream.headersSent) stream.respond({ ':status': 415, 'content-type': 'text/plain' });
      stream.end(`expected content-type application/grpc, got ${JSON.stringify(type.slice(0, 100))}\n`);
      return;
    }
    const { ctx, end } = backend.track();
    let httpStatus = 200;
    stream.once('close', () => end(httpStatus));
    const fail = (status: number, grpcStatus: number, message: string, extra?: Record<string, string>): void => {
      httpStatus = status;
      respondError(stream, grpcStatus, message, extra);
      // A refused message's remaining bytes are never read: the stream is reset once answered.
      if (!stream.readableEnded) stream.once('finish', () => stream.close(constants.NGHTTP2_NO_ERROR));
    };
    const name = path.slice(SERVICE.length);
    const method = path.startsWith(SERVICE) && Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
    if (method === undefined) {
      fail(404, GRPC_STATUS.UNIMPLEMENTED, `no method ${JSON.stringify(path.slice(0, 200))} (the service is inference.GRPCInferenceService: ${Object.keys(METHODS).join(', ')})`);
      return;
    }
    ctx.endpoint = method.endpoint;
    if (headers[':method'] !== 'POST') {
      fail(405, GRPC_STATUS.UNIMPLEMENTED, `gRPC calls are POST, got ${String(headers[':method'])}`);
      return;
    }
    if (backend.draining()) {
      fail(503, GRPC_STATUS.UNAVAILABLE, 'the server is shutting down');
      return;
    }
    const encoding = String(headers['grpc-encoding'] ?? 'identity');
    if (!ENCODINGS.split(',').includes(encoding)) {
      fail(415, GRPC_STATUS.UNIMPLEMENTED, `grpc-encoding ${JSON.stringify(encoding.slice(0, 50))} is not supported (${ENCODINGS})`, { 'grpc-accept-encoding': ENCODINGS });
      return;
    }
    const req = { headers };
    readMessage(stream, encoding, backend.limits)
      .then((m) => method.run(backend, req, ctx, m))
      .then((out) => respondMessage(stream, out))
      .catch((err: unknown) => {
        if (err instanceof HttpError) {
          fail(err.status, grpcStatusOf(err.status), err.message);
          return;
        }
        backend.log(`tensorkit serve: gRPC ${path}: ${err instanceof Error ? (err.stack ?? err.message) : describe(err)}`);
        fail(500, GRPC_STATUS.INTERNAL, 'internal server error');
      });
  });

  return {
    http2,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        http2.once('error', reject);
        http2.listen(port, host, () => {
          http2.off('error', reject);
          resolve(http2.address() as AddressInfo);
        });
      });
    },
    close() {
      const closed = new Promise<void>((resolve) => {
        if (!http2.listening) resolve();
        else http2.close(() => resolve());
      });
      for (const s of sessions) if (!s.closed) s.close();
      return closed;
    },
    destroy() {
      for (const s of sessions) s.destroy();
    },
  };
}
