/**
 * Rows of the delivery receipts, the same in every backend, and how they join the audit trail.
 */
import { latestDelivery } from '../audit/delivery.js';
import type { AccessEntry, DeliveryEvent, LookupCommand, Outcome } from '../audit/types.js';
import type { StoredAuditEntry, TrailEntry } from './types.js';

export interface DeliveryRow {
  at: number;
  ref: string;
  message_sid: string;
  status: string;
  error_code: string | null;
}

export function toDeliveryEvent(r: DeliveryRow): DeliveryEvent {
  return { at: r.at, ref: r.ref, messageSid: r.message_sid, status: r.status, errorCode: r.error_code };
}

/** Each access with its delivery events (given in arrival order), matched by MessageSid. */
export function withDeliveries(trail: StoredAuditEntry[], deliveries: DeliveryEvent[]): TrailEntry[] {
  const byRef = new Map<string, DeliveryEvent[]>();
  for (const d of deliveries) {
    const list = byRef.get(d.ref);
    if (list) list.push(d);
    else byRef.set(d.ref, [d]);
  }
  return trail.map((e) => ({ ...e, deliveries: byRef.get(e.messageSid) ?? [] }));
}

/** One access of a record's history as a row gives it: the audit row's fields and its delivery statuses. */
export interface HistoryRowFields {
  at: number;
  command: string;
  outcome: string;
  sender: string;
  /** Comma-separated, in arrival order; null when none. */
  statuses: string | null;
}

/** The entry of a record's history (LS) for one access, `bySelf` when the sender is the record's phone. */
export function toAccessEntry(r: HistoryRowFields, ownerPhone: string): AccessEntry {
  const entry: AccessEntry = {
    at: r.at,
    command: r.command as LookupCommand,
    outcome: r.outcome as Outcome,
    sender: r.sender,
    bySelf: r.sender === ownerPhone,
  };
  const delivery = shownStatus(r.statuses);
  if (delivery !== undefined) entry.delivery = delivery;
  return entry;
}

/** The status to show from `statuses`, a comma-separated list in arrival order (statuses hold no comma). */
export function shownStatus(statuses: string | null): string | undefined {
  if (statuses === null || statuses === '') return undefined;
  return latestDelivery(statuses.split(',').map((status) => ({ status })))?.status;
}
