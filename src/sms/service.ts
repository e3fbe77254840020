/**
 * Decides the answer to one inbound message, and records it. The order of checks is the policy:
 * sender, opt-out keywords, opted-out sender, the hourly reply budget, help, lock, hourly lookup
 * limit, verification. Knows nothing of HTTP.
 *
 * The decision is a pure function of what the store read for it (the sender's state, the record,
 * its history) and runs inside the store's transaction (`Store.admit`), so that two messages from
 * one sender can never both pass a limit, on any backend or node.
 */
import {
  afterLookup,
  afterReply,
  lookupRetryAt,
  replyBudgetSpent,
  senderAt,
  senderExpiresAt,
  withLang,
  withOptOut,
  type SenderLimits,
  type SenderState,
} from '../audit/senders.js';
import type { AuditCommand, LookupCommand, Outcome } from '../audit/types.js';
import { cardStatus } from '../citizens/cardExpiry.js';
import { isoToday } from '../citizens/dates.js';
import { normalizeSender } from '../citizens/phone.js';
import { isOwnRecord } from '../citizens/verification.js';
import type { Citizen } from '../citizens/types.js';
import type { AdmissionContext, Store, Verdict } from '../store/types.js';
import { parseMessage } from './parser.js';
import { MAX_HISTORY_ENTRIES, renderReply } from './render.js';
import { DEFAULT_REPLY_FIELDS, type ReplyFields } from './replyFields.js';
import { twimlEmpty, twimlMessage } from './twiml.js';
import type { Lang, ParsedMessage, Reply, SmsEncoding } from './types.js';

const HOUR_MS = 3_600_000;
/** How far back LS counts accesses. */
export const HISTORY_DAYS_MS = 30 * 24 * HOUR_MS;
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
  /** Replies of any kind per number and rolling hour; past it nothing is sent. */
  replyLimitPerHour: number;
  lockoutFailures: number;
  lockoutMs: number;
  /** The fields each reply sends (`SMS_TT_FIELDS`, `SMS_CT_FIELDS`); default {@link DEFAULT_REPLY_FIELDS}. */
  replyFields?: ReplyFields;
}

/** What was answered, for the route, the log line and the metrics. Holds no personal data. */
export interface HandledMessage {
  twiml: string;
  command: AuditCommand;
  outcome: Outcome;
  /** Segments of the reply sent now (for a redelivery: of the earlier reply sent again). */
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

/** A decision before it is put into words. */
interface Decision {
  reply?: Reply;
  outcome: Outcome;
  lang: Lang;
  state: SenderState;
}

function serve(command: LookupCommand, citizen: Citizen, context: AdmissionContext, now: number, fields: ReplyFields): Reply {
  switch (command) {
    case 'TT':
      return { kind: 'personal', citizen, fields: fields.tt };
    case 'CT':
      return { kind: 'residence', citizen, fields: fields.ct };
    case 'CC':
      return { kind: 'card', status: cardStatus(citizen, isoToday(new Date(now))) };
    case 'LS':
      return { kind: 'history', entries: context.history?.entries ?? [], total30Days: context.history?.total ?? 0 };
  }
}

/** The lookup rules: lock, hourly limit, then verification against the registered phone. */
function lookup(
  parsed: Extract<ParsedMessage, { kind: 'lookup' }>,
  sender: string,
  context: AdmissionContext,
  state: SenderState,
  now: number,
  limits: SenderLimits,
  fields: ReplyFields,
): Decision {
  const { lang } = parsed;
  if (state.lockedUntil !== null) return { reply: { kind: 'locked', until: state.lockedUntil }, outcome: 'locked', lang, state };
  const retryAt = lookupRetryAt(state, limits);
  if (retryAt !== undefined) return { reply: { kind: 'rate_limited', retryAt }, outcome: 'rate_limited', lang, state };
  const own = isOwnRecord(context.citizen, sender);
  const next = afterLookup(state, now, own, limits);
  if (!own || !context.citizen) return { reply: { kind: 'refused' }, outcome: 'refused', lang, state: next };
  return { reply: serve(parsed.command, context.citizen, context, now, fields), outcome: 'served', lang, state: next };
}

/** The policy, over the sender's state as it stands now. Pure. */
function decide(
  parsed: ParsedMessage,
  sender: string,
  context: AdmissionContext,
  now: number,
  limits: SenderLimits,
  fields: ReplyFields,
): Decision {
  let state = senderAt(context.sender, now, limits);
  if (parsed.kind === 'opt_out') return { outcome: 'opted_out', lang: state.lang ?? 'vi', state: withOptOut(state, true) };
  if (parsed.kind === 'opt_in') {
    state = withOptOut(state, false);
    const lang = state.lang ?? 'vi';
    if (replyBudgetSpent(state, limits)) return { outcome: 'no_reply', lang, state };
    return { reply: { kind: 'opted_in' }, outcome: 'help', lang, state };
  }
  if (state.optedOut) return { outcome: 'opted_out', lang: 'vi', state };
  const { lang } = parsed;
  state = withLang(state, lang);
  if (replyBudgetSpent(state, limits)) return { outcome: 'no_reply', lang, state };
  switch (parsed.kind) {
    case 'help':
      return { reply: { kind: 'help' }, outcome: 'help', lang, state };
    case 'malformed':
      return { reply: { kind: 'usage', command: parsed.command }, outcome: 'help', lang, state };
    case 'lookup':
      return lookup(parsed, sender, context, state, now, limits, fields);
  }
}

/** The sender limits of a policy. */
export function senderLimits(policy: ServicePolicy): SenderLimits {
  return {
    lookupsPerHour: policy.rateLimitPerHour,
    repliesPerHour: policy.replyLimitPerHour,
    lockoutFailures: policy.lockoutFailures,
    lockoutMs: policy.lockoutMs,
  };
}

/**
 * Builds the service over a store, a clock and the policy. With `statusCallback`, every reply's
 * `<Message>` carries `action` = `statusCallback(inbound MessageSid)`, so that Twilio reports the
 * reply's delivery against the audit row of the message it answers (`POST /sms/status`). The URL
 * is part of the TwiML kept for redeliveries, so a redelivery gets the same bytes.
 */
export function createMessageService(
  store: Store,
  clock: () => number,
  policy: ServicePolicy,
  statusCallback?: (ref: string) => string,
): MessageService {
  const allowed = new Set(policy.allowedCountryCodes);
  const limits = senderLimits(policy);
  const render = { encoding: policy.encoding };
  const fields = policy.replyFields ?? DEFAULT_REPLY_FIELDS;

  return {
    async handle({ messageSid, from, body }) {
      const now = clock();
      const parsed = parseMessage(body);
      const command = auditCommand(parsed);
      const phone = normalizeSender(from);
      const served = phone !== undefined && allowed.has(phone.countryCallingCode);
      const sender = phone?.e164 ?? from.slice(0, MAX_SENDER_CHARS);
      const lookupOf = parsed.kind === 'lookup' ? parsed : undefined;
      const admitted = await store.admit(
        {
          at: now,
          messageSid,
          sender,
          tracked: served,
          targetId: lookupOf?.idNumber ?? null,
          history: lookupOf?.command === 'LS' ? { limit: MAX_HISTORY_ENTRIES, since: now - HISTORY_DAYS_MS } : undefined,
        },
        (context): Verdict => {
          // Senders that get no reply (not a phone number, a country not served) keep no state.
          if (!served) return { command, outcome: 'no_reply', segments: 0, twiml: twimlEmpty() };
          const decision = decide(parsed, sender, context, now, limits, fields);
          const rendered = decision.reply ? renderReply(decision.reply, { lang: decision.lang, ...render }) : undefined;
          const state = rendered ? afterReply(decision.state, now, limits) : decision.state;
          return {
            command,
            outcome: decision.outcome,
            segments: rendered?.segments ?? 0,
            twiml: rendered ? twimlMessage(rendered.text, statusCallback?.(messageSid)) : twimlEmpty(),
            sender: { state, expiresAt: senderExpiresAt(state, limits) },
          };
        },
      );
      if (admitted.duplicate) {
        const { original, twiml } = admitted;
        return {
          twiml: twiml ?? twimlEmpty(),
          command: original.command,
          outcome: original.outcome,
          segments: twiml === undefined ? 0 : original.segments,
          duplicate: true,
        };
      }
      const { verdict } = admitted;
      return { twiml: verdict.twiml, command, outcome: verdict.outcome, segments: verdict.segments, duplicate: false };
    },
  };
}
