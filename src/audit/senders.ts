/**
 * What the service remembers about one sender between messages, and the pure rules that move it
 * on: the lookups and replies of the rolling hour, the failed verifications that lead to a
 * lockout, the lock itself, the opt-out, and the language of the sender's last message.
 *
 * The store keeps one such state per sender and hands it to the message service inside the same
 * transaction that records the message, so a decision and its record are one atomic step on any
 * backend. The store does not interpret it: the limits, the windows and what counts as a lookup
 * or a failure live here.
 *
 * Only what a limit needs is kept, and only as long as it needs it: at most as many times as the
 * limit counts, dropped once outside their window ({@link senderExpiresAt}). Raising a limit
 * therefore takes up to one window to apply fully.
 */

const HOUR_MS = 3_600_000;

/** The reply language a sender last used. */
export type SenderLang = 'vi' | 'en';

/** One sender's state. Times are milliseconds since the epoch, newest first. */
export interface SenderState {
  /** Lookups (served or refused) counted by the hourly limit. */
  readonly lookups: readonly number[];
  /** Failed verifications counted by the lockout. */
  readonly failures: readonly number[];
  /** Replies sent, counted by the hourly reply limit. */
  readonly replies: readonly number[];
  /** End of a lockout, or null. */
  readonly lockedUntil: number | null;
  /** True from STOP until START. */
  readonly optedOut: boolean;
  /** Language of the last message that had one (START answers in it), or null. */
  readonly lang: SenderLang | null;
}

/** The limits that apply to every sender. */
export interface SenderLimits {
  /** Lookups (served or refused) per rolling hour. */
  lookupsPerHour: number;
  /** Replies of any kind per rolling hour; past it nothing is sent. */
  repliesPerHour: number;
  /** Failed verifications within {@link lockoutMs} that lock the sender. */
  lockoutFailures: number;
  /** How long failures count, and how long a lock lasts. */
  lockoutMs: number;
}

/** A sender never seen, or whose state has expired. */
export const EMPTY_SENDER: SenderState = Object.freeze({
  lookups: [],
  failures: [],
  replies: [],
  lockedUntil: null,
  optedOut: false,
  lang: null,
});

/** A time counts in an hour window at `now` while `at > now - 1 h`: a lookup at t counts until t + 1 h, exclusive. */
const inHour = (now: number) => (at: number) => at > now - HOUR_MS;

/** The state as it stands at `now`: entries outside their windows and an ended lock dropped. */
export function senderAt(state: SenderState, now: number, limits: SenderLimits): SenderState {
  return {
    lookups: state.lookups.filter(inHour(now)).slice(0, limits.lookupsPerHour),
    failures: state.failures.filter((at) => at >= now - limits.lockoutMs).slice(0, limits.lockoutFailures),
    replies: state.replies.filter(inHour(now)).slice(0, limits.repliesPerHour),
    lockedUntil: state.lockedUntil !== null && state.lockedUntil > now ? state.lockedUntil : null,
    optedOut: state.optedOut,
    lang: state.lang,
  };
}

/**
 * When the sender may look up again (the oldest counted lookup + 1 h), or undefined when a lookup
 * is allowed now. Expects {@link senderAt}'s result.
 */
export function lookupRetryAt(state: SenderState, limits: SenderLimits): number | undefined {
  if (state.lookups.length < limits.lookupsPerHour) return undefined;
  const oldest = state.lookups[limits.lookupsPerHour - 1] ?? state.lookups[state.lookups.length - 1] ?? 0;
  return oldest + HOUR_MS;
}

/** True when the hourly reply budget is used up. Expects {@link senderAt}'s result. */
export function replyBudgetSpent(state: SenderState, limits: SenderLimits): boolean {
  return state.replies.length >= limits.repliesPerHour;
}

const prepend = (times: readonly number[], at: number, max: number): number[] => [at, ...times].slice(0, max);

/**
 * After a verified lookup (`served`) or a failed one (`refused`). A failure that reaches
 * {@link SenderLimits.lockoutFailures} within the window locks the sender for `lockoutMs`.
 */
export function afterLookup(state: SenderState, at: number, served: boolean, limits: SenderLimits): SenderState {
  const lookups = prepend(state.lookups, at, limits.lookupsPerHour);
  if (served) return { ...state, lookups };
  const failures = prepend(state.failures, at, limits.lockoutFailures);
  const locks = failures.length >= limits.lockoutFailures;
  return { ...state, lookups, failures, lockedUntil: locks ? at + limits.lockoutMs : state.lockedUntil };
}

/** After a reply was sent. */
export function afterReply(state: SenderState, at: number, limits: SenderLimits): SenderState {
  return { ...state, replies: prepend(state.replies, at, limits.repliesPerHour) };
}

/** With the language of the latest message. */
export function withLang(state: SenderState, lang: SenderLang): SenderState {
  return state.lang === lang ? state : { ...state, lang };
}

/** STOP (`true`) or START (`false`). */
export function withOptOut(state: SenderState, optedOut: boolean): SenderState {
  return state.optedOut === optedOut ? state : { ...state, optedOut };
}

/** An officer lifted the lock: the failures that led to it are forgotten too. */
export function unlocked(state: SenderState): SenderState {
  return { ...state, lockedUntil: null, failures: [] };
}

/** True when the sender is locked at `now`. */
export function isLocked(state: SenderState, now: number): boolean {
  return state.lockedUntil !== null && state.lockedUntil > now;
}

/**
 * When the state stops holding anything a rule needs, so that the store may delete it: the last
 * window or lock to end. `null` while opted out (an opt-out is kept until START); `0` when it
 * holds nothing already.
 */
export function senderExpiresAt(state: SenderState, limits: SenderLimits): number | null {
  if (state.optedOut) return null;
  return Math.max(
    0,
    (state.lookups[0] ?? -Infinity) + HOUR_MS,
    (state.replies[0] ?? -Infinity) + HOUR_MS,
    (state.failures[0] ?? -Infinity) + limits.lockoutMs,
    state.lockedUntil ?? 0,
  );
}

/** Serialises a state for the store (compact JSON). */
export function encodeSenderState(state: SenderState): string {
  const out: Record<string, unknown> = {};
  if (state.lookups.length > 0) out.l = state.lookups;
  if (state.failures.length > 0) out.f = state.failures;
  if (state.replies.length > 0) out.r = state.replies;
  if (state.lockedUntil !== null) out.u = state.lockedUntil;
  if (state.optedOut) out.o = 1;
  if (state.lang !== null) out.g = state.lang;
  return JSON.stringify(out);
}

/** Thrown when a stored state is not one {@link encodeSenderState} wrote. */
export class SenderStateError extends Error {
  override name = 'SenderStateError';
}

function times(value: unknown): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((t): t is number => Number.isSafeInteger(t))) throw new SenderStateError('bad times');
  return value;
}

/**
 * Reads a stored state. Throws {@link SenderStateError} on anything {@link encodeSenderState}
 * would not write: a damaged row must not silently lift a lock or an opt-out.
 */
export function decodeSenderState(text: string): SenderState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SenderStateError('not JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SenderStateError('not an object');
  const o = raw as Record<string, unknown>;
  const lockedUntil = o.u ?? null;
  if (lockedUntil !== null && (typeof lockedUntil !== 'number' || !Number.isSafeInteger(lockedUntil)))
    throw new SenderStateError('bad lock');
  if (o.o !== undefined && o.o !== 1) throw new SenderStateError('bad opt-out');
  const lang = o.g ?? null;
  if (lang !== null && lang !== 'vi' && lang !== 'en') throw new SenderStateError('bad language');
  return {
    lookups: times(o.l),
    failures: times(o.f),
    replies: times(o.r),
    lockedUntil,
    optedOut: o.o === 1,
    lang,
  };
}
