/**
 * Which fields of a record each reply sends: a policy set by the operator (`SMS_TT_FIELDS`,
 * `SMS_CT_FIELDS`), named by the record's own column names. The order of the lines in a reply is
 * fixed (the order below), whatever order the setting lists them in.
 *
 * Religion and ethnic origin are sensitive personal data (Decree 13/2023/ND-CP Art. 2(4); the
 * Law on Personal Data Protection 91/2025/QH15 keeps the split), and an SMS crosses carriers in
 * clear text: by default `TT` leaves them out. A reply that leaves out a field names it, and says
 * where the citizen can see it instead (the VNeID app, the commune police).
 */

/** The fields a `TT` reply can hold, in the order of its lines. */
export const TT_FIELDS = [
  'full_name',
  'id_number',
  'date_of_birth',
  'sex',
  'birth_registration_place',
  'hometown',
  'ethnicity',
  'religion',
  'nationality',
] as const;
export type TtField = (typeof TT_FIELDS)[number];

/** The fields a `CT` reply can hold, in the order of its lines. */
export const CT_FIELDS = ['permanent_address', 'temporary_address', 'current_address'] as const;
export type CtField = (typeof CT_FIELDS)[number];

/** The sensitive fields `TT` leaves out unless the operator lists them. */
export const SENSITIVE_TT_FIELDS: readonly TtField[] = ['ethnicity', 'religion'];

/** `TT` by default: every field but the sensitive ones. */
export const DEFAULT_TT_FIELDS: readonly TtField[] = TT_FIELDS.filter((f) => !SENSITIVE_TT_FIELDS.includes(f));
/** `CT` by default: every address. */
export const DEFAULT_CT_FIELDS: readonly CtField[] = CT_FIELDS;

/** The fields of each reply. */
export interface ReplyFields {
  tt: readonly TtField[];
  ct: readonly CtField[];
}

export const DEFAULT_REPLY_FIELDS: ReplyFields = { tt: DEFAULT_TT_FIELDS, ct: DEFAULT_CT_FIELDS };

/**
 * Reads a comma-separated list of fields out of `all`: the fields in `all`'s order, or the reason
 * the list is refused (an unknown name, a repeat, an empty list). Case and spaces do not matter.
 */
export function parseFieldList<F extends string>(
  text: string,
  all: readonly F[],
): { ok: true; fields: F[] } | { ok: false; reason: string } {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0) return { ok: false, reason: `must name at least one of ${all.join(', ')}` };
  const seen = new Set<string>();
  for (const name of names) {
    if (!(all as readonly string[]).includes(name)) return { ok: false, reason: `unknown field "${name}" (known: ${all.join(', ')})` };
    if (seen.has(name)) return { ok: false, reason: `"${name}" is listed twice` };
    seen.add(name);
  }
  return { ok: true, fields: all.filter((f) => seen.has(f)) };
}
