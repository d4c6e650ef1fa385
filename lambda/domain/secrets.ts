import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new secret: `prefix` and 256 random bits, base64url. Shown once, stored only as {@link hashSecret}. */
export function newSecret(prefix: 'hbw_' | 'hbwk_'): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** SHA-256 hex. Secrets are 256 random bits, so a fast hash is enough: there is nothing to guess. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hashes in constant time. */
export function sameHash(a: string | undefined, b: string): boolean {
  if (a === undefined || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
