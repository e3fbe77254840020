/**
 * Rows of the delivery receipts, the same in every backend, and how they join the audit trail.
 */
import { latestDelivery } from '../audit/delivery.js';
import type { DeliveryEvent } from '../audit/types.js';
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

/** The status to show from `statuses`, a comma-separated list in arrival order (statuses hold no comma). */
export function shownStatus(statuses: string | null): string | undefined {
  if (statuses === null || statuses === '') return undefined;
  return latestDelivery(statuses.split(',').map((status) => ({ status })))?.status;
}
