/**
 * Decides the answer to one inbound message, and records it. The order of checks is the policy:
 * redelivery, sender, opt-out keywords, opted-out sender, help, lock, hourly limit, verification.
 * Knows nothing of HTTP.
 */
import { cardStatus } from '../citizens/cardExpiry.js';
import { isoToday } from '../citizens/dates.js';
import { normalizeSender } from '../citizens/phone.js';
import { isOwnRecord } from '../citizens/verification.js';
import type { AuditCommand, LookupCommand, Outcome } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';
import { REPLY_CACHE_MS, type Store } from '../store/types.js';
import { parseMessage } from './parser.js';
import { MAX_HISTORY_ENTRIES, renderReply } from './render.js';
import { twimlEmpty, twimlMessage } from './twiml.js';
import type { Lang, ParsedMessage, Reply, SmsEncoding } from './types.js';

const HOUR_MS = 3_600_000;
const HISTORY_DAYS_MS = 30 * 24 * HOUR_MS;
const MAX_SENDER_CHARS = 64;

/** An inbound message as Twilio describes it. */
export interface InboundMessage {
  messageSid: string;
  from: string;
  body: string;
}

/** The policy knobs of the service. */
export interface ServicePolicy {
  encoding: SmsEncoding;
  /** Country calling codes (without `+`) whose senders get replies. */
  allowedCountryCodes: readonly string[];
  rateLimitPerHour: number;
  lockoutFailures: number;
  lockoutMs: number;
}

/** What was answered, for the route, the log line and the metrics. Holds no personal data. */
export interface HandledMessage {
  twiml: string;
  command: AuditCommand;
  outcome: Outcome;
  segments: number;
  /** True when this MessageSid was answered before and the earlier reply was sent again. */
  duplicate: boolean;
}

/** The message service: `handle` answers one message. */
export interface MessageService {
  handle(message: InboundMessage): Promise<HandledMessage>;
}

function auditCommand(parsed: ParsedMessage): AuditCommand {
  switch (parsed.kind) {
    case 'lookup':
    case 'malformed':
      return parsed.command;
    case 'help':
      return parsed.reason === 'asked' ? 'HELP' : 'OTHER';
    case 'opt_out':
      return 'STOP';
    case 'opt_in':
      return 'START';
  }
}

interface Decision {
  reply?: Reply;
  outcome: Outcome;
  lang: Lang;
  lockUntil?: number;
}

/** Builds the service over a store, a clock and the policy. */
export function createMessageService(store: Store, clock: () => number, policy: ServicePolicy): MessageService {
  const allowed = new Set(policy.allowedCountryCodes);

  async function serve(command: LookupCommand, citizen: Citizen, now: number): Promise<Reply> {
    switch (command) {
      case 'TT':
        return { kind: 'personal', citizen };
      case 'CT':
        return { kind: 'residence', citizen };
      case 'CC':
        return { kind: 'card', status: cardStatus(citizen, isoToday(new Date(now))) };
      case 'LS': {
        const history = await store.accessHistory(citizen.idNumber, citizen.phone, {
          limit: MAX_HISTORY_ENTRIES,
          since: now - HISTORY_DAYS_MS,
        });
        return { kind: 'history', entries: history.entries, total30Days: history.total };
      }
    }
  }

  async function lookup(parsed: Extract<ParsedMessage, { kind: 'lookup' }>, sender: string, now: number): Promise<Decision> {
    const { lang } = parsed;
    const lockedUntil = await store.lockedUntil(sender, now);
    if (lockedUntil !== undefined) return { reply: { kind: 'locked', until: lockedUntil }, outcome: 'locked', lang };
    // A lookup at time t counts until t + 1 h (exclusive), so the retry time is exact.
    const recent = await store.recentLookups(sender, now - HOUR_MS + 1, policy.rateLimitPerHour);
    if (recent.length >= policy.rateLimitPerHour) {
      const oldest = recent[recent.length - 1] as number;
      return { reply: { kind: 'rate_limited', retryAt: oldest + HOUR_MS }, outcome: 'rate_limited', lang };
    }
    const citizen = await store.findCitizen(parsed.idNumber);
    if (!citizen || !isOwnRecord(citizen, sender)) {
      const failures = (await store.countFailures(sender, now - policy.lockoutMs)) + 1;
      const lockUntil = failures >= policy.lockoutFailures ? now + policy.lockoutMs : undefined;
      return { reply: { kind: 'refused' }, outcome: 'refused', lang, lockUntil };
    }
    return { reply: await serve(parsed.command, citizen, now), outcome: 'served', lang };
  }

  async function decide(parsed: ParsedMessage, sender: string, now: number): Promise<Decision> {
    switch (parsed.kind) {
      case 'opt_out':
        await store.setOptedOut(sender, true, now);
        return { outcome: 'opted_out', lang: 'vi' };
      case 'opt_in':
        await store.setOptedOut(sender, false, now);
        return { reply: { kind: 'opted_in' }, outcome: 'help', lang: 'vi' };
    }
    if (await store.isOptedOut(sender)) return { outcome: 'opted_out', lang: 'vi' };
    switch (parsed.kind) {
      case 'help':
        return { reply: { kind: 'help' }, outcome: 'help', lang: parsed.lang };
      case 'malformed':
        return { reply: { kind: 'usage', command: parsed.command }, outcome: 'help', lang: parsed.lang };
      case 'lookup':
        return lookup(parsed, sender, now);
    }
  }

  return {
    async handle({ messageSid, from, body }) {
      const now = clock();
      const parsed = parseMessage(body);
      const command = auditCommand(parsed);
      const earlier = await store.findReply(messageSid, now - REPLY_CACHE_MS);
      if (earlier !== undefined) return { twiml: earlier, command, outcome: 'no_reply', segments: 0, duplicate: true };

      const sender = normalizeSender(from);
      const decision: Decision =
        sender && allowed.has(sender.countryCallingCode) ? await decide(parsed, sender.e164, now) : { outcome: 'no_reply', lang: 'vi' };
      const rendered = decision.reply ? renderReply(decision.reply, { lang: decision.lang, encoding: policy.encoding }) : undefined;
      const twiml = rendered ? twimlMessage(rendered.text) : twimlEmpty();
      const segments = rendered?.segments ?? 0;
      const targetId = parsed.kind === 'lookup' ? parsed.idNumber : null;
      const { duplicateOf } = await store.recordMessage({
        audit: {
          at: now,
          messageSid,
          sender: sender?.e164 ?? from.slice(0, MAX_SENDER_CHARS),
          command,
          targetId,
          outcome: decision.outcome,
          segments,
        },
        twiml,
        lockUntil: decision.lockUntil,
      });
      // The earlier reply, or nothing when it has left the 24-hour cache.
      if (duplicateOf !== undefined)
        return { twiml: duplicateOf || twimlEmpty(), command, outcome: 'no_reply', segments: 0, duplicate: true };
      return { twiml, command, outcome: decision.outcome, segments, duplicate: false };
    },
  };
}
