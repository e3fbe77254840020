/**
 * Delivery receipts: which of the statuses Twilio reports for a reply is the one to show, and the
 * shapes a status and an error code may take. Pure.
 *
 * Twilio's callbacks can repeat and arrive out of order, and every one is kept. The status shown
 * is the **latest in the message's lifecycle**: the one of highest rank, and among equal ranks the
 * one that arrived last (by arrival time, then by the order in which they were recorded).
 *
 *   accepted, scheduled, and any status not listed here   0
 *   queued                                                 1
 *   sending                                                2
 *   sent                                                   3
 *   delivered, undelivered, failed, canceled,
 *   partially_delivered                                    4
 *   read                                                   5
 *
 * So a late `sent` never hides a `delivered`, and a `delivered` that arrives after an
 * `undelivered` (a carrier that retried) wins. A reply was **never delivered** when its shown
 * status is undelivered, failed or canceled.
 */

/** Lifecycle ranks of the statuses Twilio documents for an outbound message. */
const RANK: Readonly<Record<string, number>> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
  partially_delivered: 4,
  read: 5,
};

/** The statuses that mean the reply never reached the handset. */
const NEVER_DELIVERED: ReadonlySet<string> = new Set(['undelivered', 'failed', 'canceled']);

/** Error 21610: the recipient has unsubscribed (STOP at the carrier): treated as an opt-out. */
export const UNSUBSCRIBED_ERROR = '21610';

/** The shape of a status: lower-case letters and underscores (Twilio adds statuses without notice). */
const STATUS_SHAPE = /^[a-z][a-z_]{0,31}$/;
/** The shape of an error code: Twilio's are decimal numbers of 5 digits. */
const ERROR_CODE_SHAPE = /^[0-9]{1,10}$/;

/** Whether `value` may be recorded as a status. */
export function isDeliveryStatus(value: string): boolean {
  return STATUS_SHAPE.test(value);
}

/** Whether `value` may be recorded as an error code. */
export function isDeliveryErrorCode(value: string): boolean {
  return ERROR_CODE_SHAPE.test(value);
}

/** A status's lifecycle rank (0 for one this table does not know). */
export function statusRank(status: string): number {
  return RANK[status] ?? 0;
}

/**
 * The status to show among `events`, given in arrival order: the highest rank, the last to arrive
 * among equals; undefined when there is none.
 */
export function latestDelivery<E extends { status: string }>(events: readonly E[]): E | undefined {
  let latest: E | undefined;
  for (const e of events) {
    if (latest === undefined || statusRank(e.status) >= statusRank(latest.status)) latest = e;
  }
  return latest;
}

/** True when the shown status says the reply never reached the handset. */
export function neverDelivered(status: string | undefined): boolean {
  return status !== undefined && NEVER_DELIVERED.has(status);
}

/** The statuses counted under their own name in metrics; any other is counted as `other`. */
export const STATUS_LABELS: readonly string[] = Object.keys(RANK);

/** Error codes counted under their own number in metrics (Twilio's documented delivery errors); any other is `other`. */
export const ERROR_CODE_LABELS: readonly string[] = [
  '21610', // unsubscribed recipient
  '21612', // cannot route to this number
  '21614', // not a mobile number
  '30001', // queue overflow
  '30002', // account suspended
  '30003', // unreachable destination handset
  '30004', // message blocked
  '30005', // unknown destination handset
  '30006', // landline or unreachable carrier
  '30007', // carrier violation (filtered)
  '30008', // unknown error
  '30009', // missing segment
  '30010', // message price exceeds max price
];

/** A bounded metrics label for a status. */
export function statusLabel(status: string): string {
  return status in RANK ? status : 'other';
}

/** A bounded metrics label for an error code. */
export function errorCodeLabel(code: string): string {
  return ERROR_CODE_LABELS.includes(code) ? code : 'other';
}
