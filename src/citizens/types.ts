/**
 * Plain data shapes shared by the domain rules, the store and the SMS replies.
 * Dates are ISO calendar dates (`YYYY-MM-DD`); phones are E.164 (`+84912345678`).
 */

/** Sex as recorded on the ID number: `M` male, `F` female. */
export type Sex = 'M' | 'F';

/** One validated citizen record, text in Unicode NFC. Optional fields are `null` when absent. */
export interface Citizen {
  /** The 12-digit personal identification number. */
  idNumber: string;
  fullName: string;
  /** ISO date `YYYY-MM-DD`. */
  dateOfBirth: string;
  sex: Sex;
  /** Registered mobile phone, E.164. */
  phone: string;
  birthRegistrationPlace: string | null;
  hometown: string | null;
  ethnicity: string | null;
  religion: string | null;
  nationality: string | null;
  permanentAddress: string | null;
  temporaryAddress: string | null;
  currentAddress: string | null;
  /** ISO date the identity card was issued, or `null` when the citizen has no card. */
  cardIssuedOn: string | null;
  /** ISO expiry date printed on the card, when stored; otherwise computed from the law. */
  cardExpiresOn: string | null;
}

/** The outcome of a rule that can refuse its input: never thrown, always returned. */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What the `CC` command reports about a citizen's identity card on a given day. */
export type CardStatus =
  | { kind: 'none' }
  | {
      kind: 'card';
      issuedOn: string;
      /** ISO expiry date (valid up to and including it), or `null` when the card never expires. */
      expiresOn: string | null;
      expired: boolean;
    };
