// Model files at rest: AES-256-GCM encryption and Ed25519 (or ECDSA P-256) signatures, both through
// WebCrypto (`globalThis.crypto.subtle`), so the same code runs in Node 20 and in browsers. No
// cipher, hash or signature is written here; this file only lays out bytes and checks arguments.
//
// Encrypted file layout (version 1), all integers little-endian:
//
//   offset  size  field
//   0       5     magic "TKENC"
//   5       1     format version (1)
//   6       1     key kind: 0 = raw 256-bit key, 1 = PBKDF2-SHA-256 from a passphrase
//   7       1     reserved (0)
//   8       4     PBKDF2 iterations (key kind 1 only)
//   12      16    PBKDF2 salt (key kind 1 only)
//   …       12    AES-GCM IV (random per file)
//   …       n+16  AES-GCM ciphertext of the n plaintext bytes, then its 128-bit tag
//
// The header (every byte before the ciphertext) is the GCM additional data, so flipping a bit
// anywhere (header, IV, ciphertext or tag) fails authentication.
import { ArgumentError, FormatError, IntegrityError } from '../tensor/errors';
import { badValue, checkArg, int, isPlainObject, oneOf, parseOptions, str, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import { isCryptoKey, subtle } from '../tensor/webcrypto';

const MAGIC = [0x54, 0x4b, 0x45, 0x4e, 0x43]; // "TKENC"
/** Version of the encrypted-model layout {@link encryptModel} writes. @category IO */
export const ENCRYPTION_FORMAT_VERSION = 1;
/** PBKDF2-SHA-256 iterations {@link encryptModel} uses for a passphrase unless told otherwise (OWASP's 2023 figure). @category IO */
export const PBKDF2_ITERATIONS = 600_000;
/** Fewest PBKDF2 iterations accepted when encrypting. @category IO */
export const MIN_PBKDF2_ITERATIONS = 100_000;
/** Most PBKDF2 iterations a file may ask for when decrypting (a hostile file cannot stall the caller). @category IO */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

const KIND_RAW = 0, KIND_PASSPHRASE = 1;
const SALT_BYTES = 16, IV_BYTES = 12, TAG_BYTES = 16;

/**
 * The key of {@link encryptModel} and {@link decryptModel}: 32 raw bytes (see
 * {@link generateModelKey}), an AES-GCM `CryptoKey` of 256 bits, or a passphrase from which
 * PBKDF2-SHA-256 derives the key with a random salt stored in the file.
 * @category IO
 */
export type ModelKey = Uint8Array | CryptoKey | PassphraseKey;

/** A passphrase as a {@link ModelKey}. @category IO */
export interface PassphraseKey {
  /** The passphrase (non-empty; UTF-8 encoded before PBKDF2). */
  passphrase: string;
  /** PBKDF2-SHA-256 iterations when encrypting (default {@link PBKDF2_ITERATIONS}); decryption reads them from the file. */
  iterations?: number;
}

function checkBytes(op: string, name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw badValue(op, name, 'a Uint8Array', v);
  return v;
}

/** 32 random bytes from the platform's CSPRNG: a fresh AES-256 key for {@link encryptModel}. @category IO */
export function generateModelKey(): Uint8Array {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c === undefined) throw new ArgumentError('generateModelKey: WebCrypto (globalThis.crypto) is not available here');
  return c.getRandomValues(new Uint8Array(32));
}

const PASSPHRASE_SPEC = { passphrase: str, iterations: int({ min: MIN_PBKDF2_ITERATIONS, max: MAX_PBKDF2_ITERATIONS }) };

/** The AES-GCM key for a raw key or CryptoKey; a passphrase is derived later, with the file's salt. */
async function aesKey(op: string, key: Uint8Array | CryptoKey, usage: KeyUsage): Promise<CryptoKey> {
  if (isCryptoKey(key)) {
    const alg = key.algorithm as AesKeyAlgorithm;
    if (alg.name !== 'AES-GCM' || alg.length !== 256 || !key.usages.includes(usage)) {
      throw new ArgumentError(`${op}: key must be a 256-bit AES-GCM CryptoKey with the '${usage}' usage, got ${alg.name} ${alg.length ?? ''} with usages [${key.usages.join(', ')}]`);
    }
    return key;
  }
  if (key.length !== 32) throw new ArgumentError(`${op}: key must be 32 bytes (AES-256), got ${key.length} bytes`);
  return subtle(op).importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [usage]);
}

async function deriveKey(op: string, passphrase: string, salt: Uint8Array, iterations: number, usage: KeyUsage): Promise<CryptoKey> {
  const s = subtle(op);
  const base = await s.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return s.deriveKey({ name: 'PBKDF2', salt: salt as Uint8Array<ArrayBuffer>, iterations, hash: 'SHA-256' }, base, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

/** Checks the key argument's kind: raw bytes, CryptoKey, or `{ passphrase, iterations? }`. */
function keyArg(op: string, key: unknown): ModelKey {
  if (key instanceof Uint8Array || isCryptoKey(key)) return key;
  if (isPlainObject(key)) {
    const o = parseOptions(op, key, PASSPHRASE_SPEC);
    if (o.passphrase === undefined || o.passphrase === '') throw new ArgumentError(`${op}: key.passphrase must be a non-empty string`);
    return { passphrase: o.passphrase, ...(o.iterations === undefined ? {} : { iterations: o.iterations }) };
  }
  throw badValue(op, 'key', 'a 32-byte Uint8Array, an AES-GCM CryptoKey or { passphrase }', key);
}

/**
 * Encrypts a model file (the bytes of {@link saveModel}, or any bytes) with AES-256-GCM through
 * WebCrypto: a random 96-bit IV per call, the header authenticated with the data, the layout
 * documented in `docs/trust.md` (version {@link ENCRYPTION_FORMAT_VERSION}). With a passphrase,
 * the key is PBKDF2-SHA-256 over a random 128-bit salt, {@link PBKDF2_ITERATIONS} iterations
 * unless `iterations` says otherwise (at least {@link MIN_PBKDF2_ITERATIONS}).
 * @example
 * // const key = generateModelKey();
 * // const sealed = await encryptModel(saveModel(net), key);
 * // const { model } = loadModel(await decryptModel(sealed, key));
 * @throws ArgumentError for a key of the wrong kind or size, or a WebCrypto that is missing.
 * @category IO
 */
export async function encryptModel(bytes: Uint8Array, key: ModelKey): Promise<Uint8Array> {
  const op = 'encryptModel';
  checkBytes(op, 'bytes', bytes);
  const k = keyArg(op, key);
  const rand = (globalThis as { crypto: Crypto }).crypto;
  const passphrase = !(k instanceof Uint8Array) && !isCryptoKey(k);
  const headerLen = 8 + (passphrase ? 4 + SALT_BYTES : 0) + IV_BYTES;
  const header = new Uint8Array(headerLen);
  header.set(MAGIC, 0);
  header[5] = ENCRYPTION_FORMAT_VERSION;
  header[6] = passphrase ? KIND_PASSPHRASE : KIND_RAW;
  let aes: CryptoKey;
  if (passphrase) {
    const iterations = k.iterations ?? PBKDF2_ITERATIONS;
    new DataView(header.buffer).setUint32(8, iterations, true);
    const salt = rand.getRandomValues(new Uint8Array(SALT_BYTES));
    header.set(salt, 12);
    aes = await deriveKey(op, k.passphrase, salt, iterations, 'encrypt');
  } else {
    aes = await aesKey(op, k as Uint8Array | CryptoKey, 'encrypt');
  }
  const iv = rand.getRandomValues(new Uint8Array(IV_BYTES));
  header.set(iv, headerLen - IV_BYTES);
  const sealed = new Uint8Array(await subtle(op).encrypt({ name: 'AES-GCM', iv, additionalData: header, tagLength: 128 }, aes, bytes as Uint8Array<ArrayBuffer>));
  const out = new Uint8Array(headerLen + sealed.length);
  out.set(header, 0);
  out.set(sealed, headerLen);
  return out;
}

/** True when `bytes` start with the magic of {@link encryptModel}'s layout (a cheap sniff; nothing is verified). @category IO */
export function isEncryptedModel(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.length >= 8 && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Decrypts a file written by {@link encryptModel} with the same key (a passphrase's iteration
 * count and salt come from the file). Authenticated: a wrong key, a wrong passphrase, a flipped
 * bit anywhere or a truncated file is an `IntegrityError`, never garbage bytes.
 * @throws IntegrityError when authentication fails or the bytes are not an encrypted model;
 * FormatError `UNSUPPORTED_VERSION` for a layout version this build does not know; ArgumentError
 * for a key of the wrong kind (a passphrase for a raw-key file or the reverse, a key that is not 32 bytes).
 * @category IO
 */
export async function decryptModel(bytes: Uint8Array, key: ModelKey): Promise<Uint8Array> {
  const op = 'decryptModel';
  checkBytes(op, 'bytes', bytes);
  const k = keyArg(op, key);
  if (!isEncryptedModel(bytes)) throw new IntegrityError(`${op}: the bytes are not a tensorkit encrypted model (no TKENC header)`);
  if (bytes[5] !== ENCRYPTION_FORMAT_VERSION) {
    throw new FormatError(`${op}: encrypted-model layout version ${bytes[5]} is not supported (this build reads version ${ENCRYPTION_FORMAT_VERSION})`, 'UNSUPPORTED_VERSION');
  }
  const kind = bytes[6];
  if (kind !== KIND_RAW && kind !== KIND_PASSPHRASE) throw new IntegrityError(`${op}: unknown key kind ${kind} in the header`);
  const headerLen = 8 + (kind === KIND_PASSPHRASE ? 4 + SALT_BYTES : 0) + IV_BYTES;
  if (bytes.length < headerLen + TAG_BYTES) throw new IntegrityError(`${op}: the file is truncated (${bytes.length} bytes; the header and tag alone take ${headerLen + TAG_BYTES})`);
  const passphrase = !(k instanceof Uint8Array) && !isCryptoKey(k);
  if (passphrase !== (kind === KIND_PASSPHRASE)) {
    throw new ArgumentError(`${op}: the file was encrypted with ${kind === KIND_PASSPHRASE ? 'a passphrase: pass { passphrase }' : 'a raw key: pass the 32-byte key or its CryptoKey'}, got ${passphrase ? '{ passphrase }' : 'a key'}`);
  }
  const header = bytes.subarray(0, headerLen);
  let aes: CryptoKey;
  if (passphrase) {
    const iterations = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
    if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
      throw new IntegrityError(`${op}: the header asks for ${iterations} PBKDF2 iterations (accepted: 1 to ${MAX_PBKDF2_ITERATIONS})`);
    }
    aes = await deriveKey(op, k.passphrase, bytes.slice(12, 12 + SALT_BYTES), iterations, 'decrypt');
  } else {
    aes = await aesKey(op, k as Uint8Array | CryptoKey, 'decrypt');
  }
  try {
    const iv = bytes.slice(headerLen - IV_BYTES, headerLen);
    const plain = await subtle(op).decrypt({ name: 'AES-GCM', iv, additionalData: header.slice(), tagLength: 128 }, aes, bytes.slice(headerLen));
    return new Uint8Array(plain);
  } catch {
    throw new IntegrityError(`${op}: authentication failed: the key or passphrase is wrong, or the file was modified or truncated`);
  }
}

// ---- signatures --------------------------------------------------------------------------------

/** The signature algorithms of {@link generateSigningKeys}. @category IO */
export type SigningAlgorithm = 'Ed25519' | 'ECDSA-P256';

/** A key pair as JSON Web Keys, ready to store (the private key as a secret). @category IO */
export interface SigningKeyPair {
  /** The public key (JWK): give it to whoever verifies. */
  publicKey: JsonWebKey;
  /** The private key (JWK): keep it secret. */
  privateKey: JsonWebKey;
  /** Which algorithm the keys are for. */
  algorithm: SigningAlgorithm;
}

const ALGORITHMS: readonly SigningAlgorithm[] = ['Ed25519', 'ECDSA-P256'];

function importParams(a: SigningAlgorithm): EcKeyImportParams | Algorithm {
  return a === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
}
function signParams(a: SigningAlgorithm): EcdsaParams | Algorithm {
  return a === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
}

/**
 * A new signing key pair. Ed25519 by default; `{ algorithm: 'ECDSA-P256' }` for ECDSA over P-256
 * with SHA-256. Where the engine has no Ed25519 (older browsers), the default falls back to
 * ECDSA-P256; the returned `algorithm` says which was made.
 * @category IO
 */
export async function generateSigningKeys(options: { algorithm?: SigningAlgorithm } = {}): Promise<SigningKeyPair> {
  const op = 'generateSigningKeys';
  const o = parseOptions(op, options, { algorithm: oneOf(ALGORITHMS) });
  const s = subtle(op);
  const make = async (a: SigningAlgorithm): Promise<SigningKeyPair> => {
    const pair = (await s.generateKey(importParams(a) as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
    return { publicKey: await s.exportKey('jwk', pair.publicKey), privateKey: await s.exportKey('jwk', pair.privateKey), algorithm: a };
  };
  if (o.algorithm !== undefined) return make(o.algorithm);
  try {
    return await make('Ed25519');
  } catch {
    return make('ECDSA-P256');
  }
}

/** The algorithm of a JWK or CryptoKey, or an ArgumentError naming what it is. */
function algorithmOf(op: string, name: string, key: unknown): SigningAlgorithm {
  if (isCryptoKey(key)) {
    const alg = key.algorithm as EcKeyAlgorithm;
    if (alg.name === 'Ed25519') return 'Ed25519';
    if (alg.name === 'ECDSA' && alg.namedCurve === 'P-256') return 'ECDSA-P256';
    throw new ArgumentError(`${op}: ${name} must be an Ed25519 or ECDSA P-256 key, got a ${alg.name} key`);
  }
  if (isPlainObject(key)) {
    if (key.kty === 'OKP' && key.crv === 'Ed25519') return 'Ed25519';
    if (key.kty === 'EC' && key.crv === 'P-256') return 'ECDSA-P256';
    throw new ArgumentError(`${op}: ${name} must be an Ed25519 (kty OKP) or P-256 (kty EC) JSON Web Key, got kty ${describe(key.kty)} crv ${describe(key.crv)}`);
  }
  throw badValue(op, name, 'a JSON Web Key or a CryptoKey', key);
}

async function signingKey(op: string, name: string, key: unknown, usage: KeyUsage): Promise<[CryptoKey, SigningAlgorithm]> {
  const a = algorithmOf(op, name, key);
  if (isCryptoKey(key)) {
    if (!key.usages.includes(usage)) throw new ArgumentError(`${op}: ${name} lacks the '${usage}' usage (it has [${key.usages.join(', ')}])`);
    return [key, a];
  }
  const jwk = key as JsonWebKey;
  if (usage === 'sign' && typeof jwk.d !== 'string') throw new ArgumentError(`${op}: ${name} is a public key; signing needs the private key (a JWK with 'd')`);
  // Import only the members the algorithm needs, so a JWK carrying key_ops or alg from another
  // tool still imports; a public key is imported without its private part.
  const { kty, crv, x, y, d } = jwk;
  const clean: JsonWebKey = { kty, crv, x, ...(y === undefined ? {} : { y }), ...(usage === 'sign' ? { d } : {}) };
  try {
    return [await subtle(op).importKey('jwk', clean, importParams(a) as EcKeyImportParams, false, [usage]), a];
  } catch (e) {
    throw new ArgumentError(`${op}: ${name} does not import as a ${a} key (${(e as Error).message})`);
  }
}

/**
 * Signs bytes (a model file, encrypted or not) with a private key from
 * {@link generateSigningKeys} and returns the detached signature (64 bytes for Ed25519, 64 bytes
 * r‖s for ECDSA P-256).
 * @throws ArgumentError for a key that is not a private Ed25519 or P-256 key.
 * @category IO
 */
export async function signModel(bytes: Uint8Array, privateKey: JsonWebKey | CryptoKey): Promise<Uint8Array> {
  const op = 'signModel';
  checkBytes(op, 'bytes', bytes);
  const [k, a] = await signingKey(op, 'privateKey', privateKey, 'sign');
  return new Uint8Array(await subtle(op).sign(signParams(a), k, bytes as Uint8Array<ArrayBuffer>));
}

/**
 * Checks a detached signature of {@link signModel} against the bytes and the public key. Resolves
 * when it verifies; a modified file, a wrong key or a damaged signature is an `IntegrityError`, so
 * an unchecked result cannot be mistaken for success.
 * @throws IntegrityError when the signature does not verify; ArgumentError for a key or signature
 * of the wrong kind.
 * @category IO
 */
export async function verifyModel(bytes: Uint8Array, signature: Uint8Array, publicKey: JsonWebKey | CryptoKey): Promise<void> {
  const op = 'verifyModel';
  checkBytes(op, 'bytes', bytes);
  checkArg(op, 'signature', signature, bytesCheck);
  const [k, a] = await signingKey(op, 'publicKey', publicKey, 'verify');
  let ok = false;
  try {
    ok = await subtle(op).verify(signParams(a), k, signature as Uint8Array<ArrayBuffer>, bytes as Uint8Array<ArrayBuffer>);
  } catch {
    ok = false;
  }
  if (!ok) throw new IntegrityError(`${op}: the ${a} signature does not verify: the file was modified, or it was signed with another key`);
}

const bytesCheck: Check<Uint8Array> = (v, name, op) => checkBytes(op, name, v);

/** Lowercase hex SHA-256 of bytes or a UTF-8 string, through WebCrypto. @internal */
export async function sha256Hex(data: Uint8Array | string, op = 'sha256'): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const h = new Uint8Array(await subtle(op).digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let s = '';
  for (const b of h) s += b.toString(16).padStart(2, '0');
  return s;
}
