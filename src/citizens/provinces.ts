/**
 * Province codes of the 12-digit ID number (Circular 07/2016/TT-BCA, Annex I), from
 * `data/provinces.json`, imported as a JSON module: the compiler copies it into `dist/data/`, so
 * the same import works from `src/citizens/` (tests) and from `dist/src/citizens/` (compiled).
 */
import PROVINCES from '../../data/provinces.json' with { type: 'json' };

/** Code -> NFC name. */
const TABLE: ReadonlyMap<string, string> = new Map(Object.entries(PROVINCES).map(([code, name]) => [code, name.normalize('NFC')]));

/** Every listed province code, ascending (`001` ... `096`; 63 codes). */
export const PROVINCE_CODES: readonly string[] = Object.freeze([...TABLE.keys()].sort());

/** The province name (NFC) for a 3-digit code such as `001`, or `undefined` when it is not a listed code. */
export function provinceName(code: string): string | undefined {
  return TABLE.get(code);
}

/** Whether `code` is one of the listed 3-digit province codes (`001` yes, `063` no). */
export function isProvinceCode(code: string): boolean {
  return TABLE.has(code);
}
