/**
 * Records the delivery status Twilio reports for a reply (`POST /sms/status`), and acts on the one
 * status that changes the policy: error 21610, the handset unsubscribed at the carrier, marks the
 * sender opted out as if it had sent STOP. Knows nothing of HTTP.
 */
import { UNSUBSCRIBED_ERROR } from '../audit/delivery.js';
import { senderExpiresAt, withOptOut, type SenderLimits } from '../audit/senders.js';
import type { DeliveryEvent } from '../audit/types.js';
import type { Store } from '../store/types.js';

/** What became of one callback. */
export type ReceiptResult =
  /** No audit row has the callback's ref (removed by retention, or a database restored from before it): recorded nowhere. */
  | { recorded: false }
  /** Appended to the reply's delivery events; `optedOut` when error 21610 opted the sender out now. */
  | { recorded: true; optedOut: boolean };

/** The receipt service: `record` keeps one callback. */
export interface ReceiptService {
  record(event: Omit<DeliveryEvent, 'at'>): Promise<ReceiptResult>;
}

/** Builds the receipt service over a store, a clock and the sender limits (for the state's expiry). */
export function createReceiptService(store: Store, clock: () => number, limits: SenderLimits): ReceiptService {
  return {
    async record(event) {
      const found = await store.recordDelivery({ ...event, at: clock() });
      if (found === undefined) return { recorded: false };
      if (event.errorCode !== UNSUBSCRIBED_ERROR) return { recorded: true, optedOut: false };
      const optedOut = await store.updateSender(found.sender, (state) => {
        if (state.optedOut) return undefined;
        const next = withOptOut(state, true);
        return { state: next, expiresAt: senderExpiresAt(next, limits) };
      });
      return { recorded: true, optedOut };
    },
  };
}
