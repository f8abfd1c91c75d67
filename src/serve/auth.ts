import { createHash, timingSafeEqual } from 'node:crypto';
import { ArgumentError } from '../tensor/index';
import { describe } from '../tensor/shape';
import { HttpError } from './http';

/**
 * One API key. Give the key itself (`key`, hashed at once and never kept) or, as a keys file
 * holds it, only its SHA-256 (`sha256`, 64 hex digits, optionally prefixed `sha256:`).
 * Scopes: `infer:<model>` (inference, metadata, readiness and the monitor report of that model),
 * `infer:*` (of every model), `metrics` (`GET /metrics`), `admin` (the repository endpoints,
 * promotion and rollback; admin implies every other scope).
 * @category Serve
 */
export interface ApiKey {
  /** Who holds the key: named in the audit log and the metrics, never secret. */
  id: string;
  /** The key itself (at least 16 characters). */
  key?: string;
  /** The key's SHA-256 in hex, instead of `key`. */
  sha256?: string;
  /** What the key may do. */
  scopes: string[];
  /** Requests per second this key may make on average (token bucket refill; default unlimited). */
  rate?: number;
  /** Requests this key may make in a burst (bucket size; default max(1, rate)). */
  burst?: number;
}

/** Options of access control. @category Serve */
export interface AuthOptions {
  /** The keys; a request presents one as `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
  keys: ApiKey[];
}

/** What a request is allowed, once its key is known. */
export type Scope = { kind: 'infer'; model: string } | { kind: 'metrics' } | { kind: 'admin' } | { kind: 'key' };

interface StoredKey {
  id: string;
  hash: Buffer;
  scopes: Set<string>;
  rate: number;
  burst: number;
  tokens: number;
  last: number;
}

/** The SHA-256 of an API key, in hex: what a keys file stores. @category Serve */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * API keys stored as SHA-256 digests: a presented key is hashed and compared with every stored
 * digest by `crypto.timingSafeEqual` (all of them, whichever matches), so neither the comparison
 * nor the position of the match shows in the timing. Each key has a token bucket of `burst`
 * requests refilled at `rate` per second; an empty bucket is 429 with `Retry-After`.
 */
export class KeyStore {
  private readonly keys: StoredKey[];

  constructor(options: AuthOptions, private readonly now: () => number = () => performance.now()) {
    const op = 'createServer';
    if (typeof options !== 'object' || options === null || !Array.isArray(options.keys)) throw new ArgumentError(`${op}: auth must be { keys: [...] }, got ${describe(options)}`);
    const ids = new Set<string>();
    this.keys = options.keys.map((k, i) => {
      const w = `auth.keys[${i}]`;
      if (typeof k !== 'object' || k === null) throw new ArgumentError(`${op}: ${w} must be an object, got ${describe(k)}`);
      for (const key of Object.keys(k)) {
        if (!['id', 'key', 'sha256', 'scopes', 'rate', 'burst'].includes(key)) throw new ArgumentError(`${op}: ${w} has unknown field ${JSON.stringify(key)} (an API key has id, key or sha256, scopes, rate, burst)`);
      }
      if (typeof k.id !== 'string' || k.id === '' || ids.has(k.id)) throw new ArgumentError(`${op}: ${w}.id must be a unique non-empty string, got ${describe(k.id)}`);
      ids.add(k.id);
      let hex: string;
      if (k.key !== undefined && k.sha256 === undefined) {
        if (typeof k.key !== 'string' || k.key.length < 16) throw new ArgumentError(`${op}: ${w}.key must be a string of at least 16 characters`);
        hex = hashApiKey(k.key);
      } else if (k.sha256 !== undefined && k.key === undefined) {
        const h = typeof k.sha256 === 'string' ? k.sha256.replace(/^sha256:/, '').toLowerCase() : '';
        if (!/^[0-9a-f]{64}$/.test(h)) throw new ArgumentError(`${op}: ${w}.sha256 must be 64 hex digits, got ${describe(k.sha256)}`);
        hex = h;
      } else throw new ArgumentError(`${op}: ${w} must have exactly one of key and sha256`);
      if (!Array.isArray(k.scopes) || !k.scopes.every((s) => typeof s === 'string' && /^(admin|metrics|infer:.+)$/.test(s))) {
        throw new ArgumentError(`${op}: ${w}.scopes must be an array of 'admin', 'metrics', 'infer:<model>' or 'infer:*', got ${describe(k.scopes)}`);
      }
      const rate = k.rate ?? Infinity;
      if (typeof rate !== 'number' || !(rate > 0)) throw new ArgumentError(`${op}: ${w}.rate must be a positive number, got ${describe(k.rate)}`);
      const burst = k.burst ?? Math.max(1, Number.isFinite(rate) ? rate : 1);
      if (typeof burst !== 'number' || !(burst >= 1) || !Number.isFinite(burst)) throw new ArgumentError(`${op}: ${w}.burst must be a finite number ≥ 1, got ${describe(k.burst)}`);
      return { id: k.id, hash: Buffer.from(hex, 'hex'), scopes: new Set(k.scopes), rate, burst, tokens: burst, last: this.now() };
    });
  }

  /** The key a request presents, or null. */
  static presented(headers: Record<string, string | string[] | undefined>): string | null {
    const auth = headers.authorization;
    if (typeof auth === 'string') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m !== null) return m[1];
    }
    const x = headers['x-api-key'];
    return typeof x === 'string' && x !== '' ? x : null;
  }

  /**
   * The id of the key `presented`, after checking it holds `scope` and its bucket has a token.
   * @throws HttpError 401 (no key, or an unknown one), 403 (out of scope), 429 (rate limited).
   */
  authorize(presented: string | null, scope: Scope): string {
    if (presented === null) throw new HttpError(401, 'an API key is required (Authorization: Bearer <key> or X-API-Key)', { 'www-authenticate': 'Bearer' });
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: StoredKey | null = null;
    for (const k of this.keys) if (timingSafeEqual(k.hash, digest) && found === null) found = k;
    if (found === null) throw new HttpError(401, 'the API key is not valid', { 'www-authenticate': 'Bearer' });
    if (!allows(found.scopes, scope)) {
      const what = scope.kind === 'infer' ? `infer:${scope.model}` : scope.kind === 'key' ? 'a scope' : scope.kind;
      throw new HttpError(403, `key ${JSON.stringify(found.id)} does not have scope ${what}`);
    }
    if (Number.isFinite(found.rate)) {
      const t = this.now();
      found.tokens = Math.min(found.burst, found.tokens + ((t - found.last) / 1000) * found.rate);
      found.last = t;
      if (found.tokens < 1) {
        const wait = Math.max(1, Math.ceil((1 - found.tokens) / found.rate));
        throw new HttpError(429, `key ${JSON.stringify(found.id)} is over its rate limit of ${found.rate} requests/s; retry after ${wait} s`, { 'retry-after': String(wait) });
      }
      found.tokens -= 1;
    }
    return found.id;
  }
}

function allows(scopes: Set<string>, scope: Scope): boolean {
  if (scopes.has('admin')) return true;
  switch (scope.kind) {
    case 'admin':
      return false;
    case 'metrics':
      return scopes.has('metrics');
    case 'infer':
      return scopes.has('infer:*') || scopes.has(`infer:${scope.model}`);
    default:
      return scopes.size > 0;
  }
}
