/**
 * The verification decision: a citizen may read only their own record, and only from the
 * mobile number registered on it.
 */
import type { Citizen } from './types.js';

/**
 * True only when the record exists and its registered phone equals `senderE164` exactly
 * (both E.164; normalise the sender first with `normalizeSender`). An empty sender never
 * matches, even a record with an empty phone.
 */
export function isOwnRecord(citizen: Citizen | undefined, senderE164: string): boolean {
  return citizen !== undefined && senderE164.length > 1 && senderE164.startsWith('+') && citizen.phone === senderE164;
}
