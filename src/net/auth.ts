/** The per-deployment token: generated when none is given, compared in constant time (Node only). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A fresh random token: 24 bytes of CSPRNG output, base64url (32 characters).
 * @example const token = newToken(); // 'q3V…'
 */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * True when `given` is the deployment's token. Both are hashed with SHA-256 first, so the comparison runs in
 * constant time whatever their lengths (timingSafeEqual needs equal lengths) and a wrong length tells nothing.
 * @example if (!tokenMatches(deployment.token, hello.token)) refuse('UNAUTHORIZED');
 */
export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
