/**
 * The one way the library reaches WebCrypto (`globalThis.crypto.subtle`, the same in Node ≥ 20
 * and browsers): data's keyed pseudonymization and io's encryption and signatures. Internal.
 */
import { ArgumentError } from './errors';

/** WebCrypto's SubtleCrypto, or an ArgumentError naming `op` where the engine has none. */
export function subtle(op: string): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (s === undefined) throw new ArgumentError(`${op}: WebCrypto (globalThis.crypto.subtle) is not available here; it needs Node 20 or a browser page served over https or localhost`);
  return s;
}

/** True for a WebCrypto CryptoKey (false where the engine has no CryptoKey class). */
export function isCryptoKey(k: unknown): k is CryptoKey {
  return typeof CryptoKey !== 'undefined' && k instanceof CryptoKey;
}
