import { describe, expect, it } from 'vitest';
import {
  ArgumentError, FormatError, IntegrityError, Linear, Generator, MIN_PBKDF2_ITERATIONS, decryptModel, encryptModel,
  generateModelKey, generateSigningKeys, isEncryptedModel, loadModel, saveModel, signModel, verifyModel,
} from '../../src/index';

const rng = new Generator(1);
const net = new Linear(8, 4, { rng });
const file = saveModel(net);
const fast = { passphrase: 'correct horse battery staple', iterations: MIN_PBKDF2_ITERATIONS };

/** Flips one bit of a copy. */
function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  c[i] ^= 0x10;
  return c;
}

describe('encryptModel / decryptModel (AES-256-GCM through WebCrypto)', () => {
  it('round-trips a model file with a raw key and with a passphrase; the model loads with the same weights', async () => {
    const key = generateModelKey();
    for (const k of [key, fast]) {
      const sealed = await encryptModel(file, k);
      expect(isEncryptedModel(sealed)).toBe(true);
      expect(isEncryptedModel(file)).toBe(false);
      const plain = await decryptModel(sealed, k);
      expect(plain).toEqual(file);
      const { model } = loadModel(plain);
      expect(Array.from(model.stateDict().weight.data as Float32Array)).toEqual(Array.from(net.weight.data));
    }
  });

  it('follows the documented layout: magic, version 1, key kind, salt and iterations for a passphrase, a fresh IV, ciphertext + 16-byte tag', async () => {
    const key = generateModelKey();
    const a = await encryptModel(file, key), b = await encryptModel(file, key);
    expect(Array.from(a.subarray(0, 8))).toEqual([0x54, 0x4b, 0x45, 0x4e, 0x43, 1, 0, 0]);
    expect(a.length).toBe(8 + 12 + file.length + 16);
    expect(a.subarray(8, 20)).not.toEqual(b.subarray(8, 20)); // random IV per file
    const p = await encryptModel(file, fast);
    expect(p[6]).toBe(1);
    expect(new DataView(p.buffer).getUint32(8, true)).toBe(MIN_PBKDF2_ITERATIONS);
    expect(p.length).toBe(8 + 4 + 16 + 12 + file.length + 16);
  });

  it('accepts an AES-GCM CryptoKey', async () => {
    const ck = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    expect(await decryptModel(await encryptModel(file, ck), ck)).toEqual(file);
  });

  it('a wrong key, a wrong passphrase, a flipped bit anywhere or a truncation is an IntegrityError, never bytes', async () => {
    const key = generateModelKey();
    const sealed = await encryptModel(file, key);
    await expect(decryptModel(sealed, generateModelKey())).rejects.toBeInstanceOf(IntegrityError);
    const ps = await encryptModel(file, fast);
    await expect(decryptModel(ps, { passphrase: 'wrong' })).rejects.toBeInstanceOf(IntegrityError);
    // Header (key kind byte excluded: it changes which key the caller must pass), IV, ciphertext, tag.
    for (const i of [7, 8, 19, 20, 100, sealed.length - 1]) {
      await expect(decryptModel(flip(sealed, i), key), `bit at byte ${i}`).rejects.toBeInstanceOf(IntegrityError);
    }
    await expect(decryptModel(flip(ps, 9), fast)).rejects.toBeInstanceOf(IntegrityError); // iterations field
    await expect(decryptModel(flip(ps, 14), fast)).rejects.toBeInstanceOf(IntegrityError); // salt
    await expect(decryptModel(sealed.subarray(0, sealed.length - 1), key)).rejects.toBeInstanceOf(IntegrityError);
    await expect(decryptModel(sealed.subarray(0, 10), key)).rejects.toThrow(/truncated/);
    await expect(decryptModel(file, key)).rejects.toThrow(/not a tensorkit encrypted model/);
  });

  it('refuses a hostile iteration count before deriving, and an unknown layout version', async () => {
    const ps = await encryptModel(file, fast);
    const evil = ps.slice();
    new DataView(evil.buffer).setUint32(8, 0xffffffff, true);
    await expect(decryptModel(evil, fast)).rejects.toThrow(/PBKDF2 iterations/);
    const v2 = ps.slice();
    v2[5] = 2;
    const err = await decryptModel(v2, fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('UNSUPPORTED_VERSION');
  });

  it('bad keys and arguments are ArgumentErrors naming the argument', async () => {
    await expect(encryptModel(file, new Uint8Array(16))).rejects.toThrow(/32 bytes \(AES-256\), got 16/);
    await expect(encryptModel(file, 'secret' as never)).rejects.toThrow(ArgumentError);
    await expect(encryptModel(file, { passphrase: 'x', iterations: 1000 })).rejects.toThrow(/iterations/);
    await expect(encryptModel(file, { passphrase: '' })).rejects.toThrow(/non-empty/);
    await expect(encryptModel(file, { passphrase: 'x', iteration: 2e5 } as never)).rejects.toThrow(/did you mean 'iterations'/);
    await expect(encryptModel([1, 2] as never, generateModelKey())).rejects.toThrow(/bytes must be a Uint8Array/);
    const sealed = await encryptModel(file, generateModelKey());
    await expect(decryptModel(sealed, fast)).rejects.toThrow(/encrypted with a raw key/);
    const ck = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt']);
    await expect(encryptModel(file, ck)).rejects.toThrow(/256-bit AES-GCM/);
  });
});

describe('signModel / verifyModel', () => {
  for (const algorithm of ['Ed25519', 'ECDSA-P256'] as const) {
    it(`${algorithm}: a signature verifies; any flipped bit in the file or the signature, or another key, is an IntegrityError`, async () => {
      const keys = await generateSigningKeys({ algorithm });
      expect(keys.algorithm).toBe(algorithm);
      const sig = await signModel(file, keys.privateKey);
      expect(sig.length).toBe(64);
      await expect(verifyModel(file, sig, keys.publicKey)).resolves.toBeUndefined();
      await expect(verifyModel(flip(file, 40), sig, keys.publicKey)).rejects.toBeInstanceOf(IntegrityError);
      await expect(verifyModel(file, flip(sig, 3), keys.publicKey)).rejects.toBeInstanceOf(IntegrityError);
      const other = await generateSigningKeys({ algorithm });
      await expect(verifyModel(file, sig, other.publicKey)).rejects.toThrow(/does not verify/);
      // Keys survive JSON (they are JWKs).
      const pub = JSON.parse(JSON.stringify(keys.publicKey)) as JsonWebKey;
      await expect(verifyModel(file, sig, pub)).resolves.toBeUndefined();
    });
  }

  it('signs an encrypted file as well (sign what you ship)', async () => {
    const keys = await generateSigningKeys();
    const sealed = await encryptModel(file, generateModelKey());
    await expect(verifyModel(sealed, await signModel(sealed, keys.privateKey), keys.publicKey)).resolves.toBeUndefined();
  });

  it('a public key cannot sign; a key of another kind is an ArgumentError naming it', async () => {
    const keys = await generateSigningKeys();
    await expect(signModel(file, keys.publicKey)).rejects.toThrow(/public key; signing needs the private key/);
    await expect(signModel(file, { kty: 'RSA' } as JsonWebKey)).rejects.toThrow(/privateKey must be an Ed25519/);
    await expect(verifyModel(file, 'sig' as never, keys.publicKey)).rejects.toThrow(/signature must be a Uint8Array/);
    await expect(generateSigningKeys({ algorithm: 'RSA' as never })).rejects.toThrow(ArgumentError);
  });
});
