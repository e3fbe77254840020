// Audit rows written through the real store interface, for tests that need a history.
import type { AuditEntry } from '../audit/types.js';
import type { Admitted, Store } from '../store/types.js';

/** Records one audit entry as it stands, through `Store.admit`, without sender state. */
export function recordEntry(store: Store, entry: AuditEntry, twiml = '<Response/>'): Promise<Admitted> {
  return store.admit(
    { at: entry.at, messageSid: entry.messageSid, sender: entry.sender, tracked: false, targetId: entry.targetId },
    () => ({ command: entry.command, outcome: entry.outcome, segments: entry.segments, twiml }),
  );
}
