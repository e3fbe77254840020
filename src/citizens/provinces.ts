/**
 * Province codes of the 12-digit ID number (Circular 07/2016/TT-BCA, Annex I), read once, at
 * module load, from `data/provinces.json`. The data folder is the project's (see `src/paths.ts`), so
 * the same code works from `src/citizens/` (tests) and from `dist/src/citizens/` (compiled).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../paths.js';

/** Code -> NFC name, read once when the module loads. */
const TABLE: ReadonlyMap<string, string> = new Map(
  Object.entries(
    z.record(z.string(), z.string()).parse(JSON.parse(readFileSync(join(PROJECT_ROOT, 'data', 'provinces.json'), 'utf8'))),
  ).map(([code, name]) => [code, name.normalize('NFC')]),
);

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
