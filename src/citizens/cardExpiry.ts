/**
 * Identity card validity (the `CC` command). Law on Citizen Identification 2014 Art. 21 for
 * cards issued before 1 July 2024 (renew at 25, 40, 60); Law on Identification 2023 Art. 21
 * from that day (14, 25, 40, 60). A card issued within the 2 years before a milestone stays
 * valid until the next one; none after 60.
 */
import { addYears } from './dates.js';
import type { CardStatus, Citizen } from './types.js';

/** First day the Law on Identification 2023 applies. */
export const NEW_LAW_FROM = '2024-07-01';
const OLD_LAW_MILESTONES = [25, 40, 60] as const;
const NEW_LAW_MILESTONES = [14, 25, 40, 60] as const;

/**
 * The expiry date the law gives a card issued on `issuedOn` to someone born on `dateOfBirth`
 * (both ISO): the first milestone birthday strictly after the issue date, skipping a milestone
 * when the card was issued on or after that birthday minus 2 calendar years. `null` when no
 * milestone is left (issued at 60 or later, or within 2 years before 60): the card never
 * expires. The card is valid up to and including the returned day.
 *
 * 29 February births: the milestone birthday in a common year is 28 February (see
 * `addYears`), and the 2-year window is counted back from that milestone date.
 */
export function computeCardExpiry(dateOfBirth: string, issuedOn: string): string | null {
  const milestones = issuedOn < NEW_LAW_FROM ? OLD_LAW_MILESTONES : NEW_LAW_MILESTONES;
  for (const age of milestones) {
    const birthday = addYears(dateOfBirth, age);
    if (birthday <= issuedOn) continue; // milestone already reached when issued
    if (issuedOn >= addYears(birthday, -2)) continue; // issued within 2 years before it: skip
    return birthday;
  }
  return null;
}

/**
 * The card status on `todayIso`: `none` without a card; otherwise the stored expiry date when
 * there is one (cards issued before 1 July 2024 stay valid to the printed date), else the
 * computed one. `expired` is true only after the expiry day (`todayIso > expiresOn`).
 */
export function cardStatus(citizen: Pick<Citizen, 'dateOfBirth' | 'cardIssuedOn' | 'cardExpiresOn'>, todayIso: string): CardStatus {
  const issuedOn = citizen.cardIssuedOn;
  if (issuedOn === null) return { kind: 'none' };
  const expiresOn = citizen.cardExpiresOn ?? computeCardExpiry(citizen.dateOfBirth, issuedOn);
  return { kind: 'card', issuedOn, expiresOn, expired: expiresOn !== null && todayIso > expiresOn };
}
