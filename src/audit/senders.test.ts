import { describe, expect, it } from 'vitest';
import {
  afterLookup,
  afterReply,
  decodeSenderState,
  EMPTY_SENDER,
  encodeSenderState,
  lookupRetryAt,
  replyBudgetSpent,
  senderAt,
  senderExpiresAt,
  SenderStateError,
  unlocked,
  withLang,
  withOptOut,
  type SenderLimits,
  type SenderState,
} from './senders.js';

const T = 1_800_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LIMITS: SenderLimits = { lookupsPerHour: 3, repliesPerHour: 4, lockoutFailures: 2, lockoutMs: DAY };
const state = (over: Partial<SenderState>): SenderState => ({ ...EMPTY_SENDER, ...over });

describe('senderAt: the state as it stands now', () => {
  it.each<[string, SenderState, SenderState]>([
    ['keeps a lookup 1 ms short of an hour', state({ lookups: [T - HOUR + 1] }), state({ lookups: [T - HOUR + 1] })],
    ['drops a lookup exactly an hour old', state({ lookups: [T - HOUR] }), EMPTY_SENDER],
    [
      'keeps at most the limit of lookups, newest first',
      state({ lookups: [T - 1, T - 2, T - 3, T - 4] }),
      state({ lookups: [T - 1, T - 2, T - 3] }),
    ],
    ['keeps a failure exactly a lockout window old', state({ failures: [T - DAY] }), state({ failures: [T - DAY] })],
    ['drops a failure older than the window', state({ failures: [T - DAY - 1] }), EMPTY_SENDER],
    ['drops replies an hour old', state({ replies: [T - 5, T - HOUR] }), state({ replies: [T - 5] })],
    ['keeps a lock that has not ended', state({ lockedUntil: T + 1 }), state({ lockedUntil: T + 1 })],
    ['drops a lock that ends now', state({ lockedUntil: T }), EMPTY_SENDER],
    ['keeps the opt-out and the language', state({ optedOut: true, lang: 'en' }), state({ optedOut: true, lang: 'en' })],
  ])('%s', (_name, before, after) => {
    expect(senderAt(before, T, LIMITS)).toEqual(after);
  });
});

describe('the hourly lookup limit', () => {
  it('allows lookups below the limit', () => {
    expect(lookupRetryAt(state({ lookups: [T - 2, T - 1] }), LIMITS)).toBeUndefined();
  });
  it('refuses at the limit until the oldest counted lookup is an hour old', () => {
    expect(lookupRetryAt(state({ lookups: [T - 1, T - 2, T - 30] }), LIMITS)).toBe(T - 30 + HOUR);
  });
});

describe('the hourly reply budget', () => {
  it('is not spent below the limit, and is at it', () => {
    expect(replyBudgetSpent(state({ replies: [T, T, T] }), LIMITS)).toBe(false);
    expect(replyBudgetSpent(afterReply(state({ replies: [T, T, T] }), T, LIMITS), LIMITS)).toBe(true);
  });
  it('records replies newest first, no more than the budget', () => {
    expect(afterReply(state({ replies: [T - 3, T - 2, T - 1, T - 4] }), T, LIMITS).replies).toEqual([T, T - 3, T - 2, T - 1]);
  });
});

describe('afterLookup: lookups, failures and the lockout', () => {
  it('counts a served lookup, and no failure', () => {
    expect(afterLookup(EMPTY_SENDER, T, true, LIMITS)).toEqual(state({ lookups: [T] }));
  });
  it('counts a refused lookup as a failure too, without locking below the threshold', () => {
    expect(afterLookup(EMPTY_SENDER, T, false, LIMITS)).toEqual(state({ lookups: [T], failures: [T] }));
  });
  it('locks for the lockout window with the failure that reaches the threshold', () => {
    expect(afterLookup(state({ failures: [T - 10] }), T, false, LIMITS)).toEqual(
      state({ lookups: [T], failures: [T, T - 10], lockedUntil: T + DAY }),
    );
  });
  it('an officer’s unlock forgets the failures, so one more mistake does not lock again', () => {
    const locked = afterLookup(state({ failures: [T - 10] }), T, false, LIMITS);
    const after = afterLookup(unlocked(locked), T + 1, false, LIMITS);
    expect(after.lockedUntil).toBeNull();
  });
});

describe('opt-out and language', () => {
  it('sets and clears the opt-out, and keeps the same object when nothing changes', () => {
    const out = withOptOut(EMPTY_SENDER, true);
    expect(out.optedOut).toBe(true);
    expect(withOptOut(out, false).optedOut).toBe(false);
    expect(withOptOut(out, true)).toBe(out);
    expect(withLang(withLang(EMPTY_SENDER, 'en'), 'vi').lang).toBe('vi');
  });
});

describe('senderExpiresAt: how long a state is kept', () => {
  it.each<[string, SenderState, number | null]>([
    ['nothing to keep', EMPTY_SENDER, 0],
    ['only a language: nothing a rule needs', state({ lang: 'en' }), 0],
    ['a lookup: an hour after it', state({ lookups: [T] }), T + HOUR],
    ['a failure: the lockout window after it', state({ lookups: [T], failures: [T] }), T + DAY],
    ['a lock: until it ends', state({ lockedUntil: T + 2 * DAY }), T + 2 * DAY],
    ['an opt-out: kept until START', state({ optedOut: true, lookups: [T] }), null],
  ])('%s', (_name, s, expected) => {
    expect(senderExpiresAt(s, LIMITS)).toBe(expected);
  });
});

describe('the stored form', () => {
  it.each<SenderState>([
    EMPTY_SENDER,
    state({ lookups: [T, T - 1], failures: [T], replies: [T, T - 1, T - 2], lockedUntil: T + DAY, optedOut: true, lang: 'en' }),
  ])('round-trips %j', (s) => {
    expect(decodeSenderState(encodeSenderState(s))).toEqual(s);
  });

  it('is compact: an empty state is {}', () => {
    expect(encodeSenderState(EMPTY_SENDER)).toBe('{}');
  });

  it.each(['', 'null', '[]', '{"l":"x"}', '{"l":[1.5]}', '{"u":"soon"}', '{"o":true}', '{"g":"fr"}'])(
    'refuses a damaged state %j rather than lifting a lock or an opt-out',
    (text) => {
      expect(() => decodeSenderState(text)).toThrow(SenderStateError);
    },
  );
});
