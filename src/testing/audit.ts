// Audit rows written through the real store interface, for tests that need a history.
import type { AuditRecord } from '../audit/chain.js';
import type { AuditEntry } from '../audit/types.js';
import type { Admitted, Store } from '../store/types.js';

/** Records one audit entry as it stands, through `Store.admit`, without sender state. */
export function recordEntry(store: Store, entry: AuditEntry, twiml = '<Response/>'): Promise<Admitted> {
  return store.admit(
    { at: entry.at, messageSid: entry.messageSid, sender: entry.sender, tracked: false, targetId: entry.targetId },
    () => ({ command: entry.command, outcome: entry.outcome, segments: entry.segments, twiml }),
  );
}

/** An audit row as the sealer reads it: a served `TT` lookup by a fictional sender, with `fields` replaced. */
export function auditRecord(id: number, at: number, fields: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id,
    at,
    messageSid: `SM${id}`,
    sender: '+84912345678',
    command: 'TT',
    targetId: null,
    outcome: 'served',
    segments: 1,
    ...fields,
  };
}
