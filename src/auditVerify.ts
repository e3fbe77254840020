/**
 * `verify-audit`: reads the whole chain through the store, page by page, and recomputes it
 * ({@link ChainVerifier}). Reads only: it can run on a live database or on a backup.
 */
import type { ChainHead } from './audit/chain.js';
import { ChainVerifier, type Verification } from './audit/verifyChain.js';
import type { Store } from './store/types.js';

/** Seals and rows read per page. */
const PAGE = 5_000;

/** Verifies the store's audit chain; `published`: a head published earlier that it must extend. */
export async function verifyAudit(store: Store, published?: ChainHead): Promise<Verification> {
  // The stored head is read first: seals made while this runs are past it and not checked.
  const stored = await store.auditHead();
  const verifier = new ChainVerifier(await store.auditCheckpoints(), published);
  let after = 0;
  while (verifier.intact && after < stored.seq) {
    const page = (await store.readSeals(after, Math.min(PAGE, stored.seq - after))).filter((e) => e.seal.seq <= stored.seq);
    const last = page.at(-1);
    if (!last) break;
    verifier.addSeals(page);
    after = last.seal.seq;
  }
  let afterId = 0;
  while (verifier.intact) {
    const rows = await store.readUnsealedAudit(afterId, PAGE);
    const last = rows.at(-1);
    if (!last) break;
    verifier.addUnsealed(rows);
    afterId = last.id;
  }
  let afterDelivery = 0;
  while (verifier.intact) {
    const rows = await store.readUnsealedDeliveries(afterDelivery, PAGE);
    const last = rows.at(-1);
    if (!last) break;
    verifier.addUnsealedDeliveries(rows);
    afterDelivery = last.id;
  }
  return verifier.finish(stored);
}
