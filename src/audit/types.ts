/**
 * The vocabulary of the audit log: which lookups there are, what became of each inbound message,
 * and the rows that record it. Shared by the SMS service, the store and the tools; pure data.
 */

/** The four lookups a citizen can ask for. */
export type LookupCommand = 'TT' | 'CT' | 'CC' | 'LS';

/** The command column of the audit log: a lookup, or what else the message was. */
export type AuditCommand = LookupCommand | 'HELP' | 'STOP' | 'START' | 'OTHER';

/** The outcome recorded in the audit log for each inbound message. */
export type Outcome = 'served' | 'refused' | 'rate_limited' | 'locked' | 'help' | 'opted_out' | 'no_reply';

/** One inbound message, as recorded in the append-only audit log. Holds no message body. */
export interface AuditEntry {
  /** Milliseconds since the epoch. */
  at: number;
  messageSid: string;
  /** The sender, E.164 (or the raw `From` when it was not a phone number). */
  sender: string;
  command: AuditCommand;
  /** The 12-digit ID the message asked about, when one was parsed. */
  targetId: string | null;
  outcome: Outcome;
  /** Segments of the reply sent, 0 when nothing was sent. */
  segments: number;
}

/** One access to a citizen's record, as listed by `LS`. See `delivery.ts` for `delivery`. */
export interface AccessEntry {
  /** Milliseconds since the epoch. */
  at: number;
  command: LookupCommand;
  outcome: Outcome;
  /** The sender's E.164 number. */
  sender: string;
  /** True when the sender is the record's registered phone. */
  bySelf: boolean;
  /** The reply's delivery status as shown (`latestDelivery`), when Twilio reported one. */
  delivery?: string;
}

/**
 * A delivery status Twilio reported for the reply to one inbound message (its status callback),
 * as recorded in the append-only `delivery_events`. Holds no phone number and no text.
 */
export interface DeliveryEvent {
  /** Milliseconds since the epoch: when the callback arrived. */
  at: number;
  /** The inbound message's MessageSid (the audit row the reply answered). */
  ref: string;
  /** Twilio's id of the outbound message (the reply). */
  messageSid: string;
  /** Twilio's `MessageStatus`: queued, sending, sent, delivered, undelivered, failed, read, … */
  status: string;
  /** Twilio's `ErrorCode`, when it sent one. */
  errorCode: string | null;
}
