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

/** One access to a citizen's record, as listed by `LS`. */
export interface AccessEntry {
  /** Milliseconds since the epoch. */
  at: number;
  command: LookupCommand;
  outcome: Outcome;
  /** The sender's E.164 number. */
  sender: string;
  /** True when the sender is the record's registered phone. */
  bySelf: boolean;
}
