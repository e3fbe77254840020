/**
 * Which failures of the PostgreSQL client mean "the database is not answering now" (the request is
 * answered 503 and Twilio retries) rather than a fault of the program, and messages that never
 * carry the password of the connection URL.
 */
import { errorCode, errorMessage } from '../errors.js';

/** Socket errors of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
]);

/**
 * SQLSTATEs of a server that is going away, overloaded or read-only (a standby during a failover),
 * or of a statement stopped by a timeout or a conflict that a retry may not meet.
 */
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '57P05', // idle_session_timeout
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
  '25P03', // idle_in_transaction_session_timeout
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '25006', // read_only_sql_transaction (connected to a standby)
  '53000', // insufficient_resources
  '53100', // disk_full
  '53200', // out_of_memory
  '53300', // too_many_connections
]);

/** Messages of pg and pg-pool for a connection that is gone or could not be had in time. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'Cannot use a pool after calling end on the pool',
  'the database system is',
];

/** True when `err` says the database is unreachable, gone, busy or read-only. */
export function isUnavailable(err: unknown): boolean {
  const code = errorCode(err);
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return true;
  }
  const message = errorMessage(err);
  return UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/** True when `err` is a statement that gave up waiting for a lock: the lock timeout, or this session chosen to end a deadlock. */
export function gaveUpWaiting(err: unknown): boolean {
  const code = errorCode(err);
  return code === '55P03' || code === '40P01';
}

/** `message` without `secret` (the URL's password, should a library ever repeat it). */
export function redact(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('***') : message;
}
