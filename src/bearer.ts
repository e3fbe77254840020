/**
 * The `Authorization: Bearer <token>` check of `GET /metrics`, in constant time: the header and
 * the expected value are each hashed (SHA-256) and the digests compared with `timingSafeEqual`, so
 * the time taken tells nothing of how much of the token was right, nor of its length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** A check of `Authorization` headers against `Bearer <token>`. */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(`Bearer ${token}`);
  return (authorization) => timingSafeEqual(digest(authorization ?? ''), expected);
}
