/**
 * Wall-clock formatting in Vietnam time (Indochina Time, UTC+7, no daylight saving).
 *
 * The offset is applied arithmetically and read back with the `getUTC*` getters, so the
 * result never depends on the machine's `TZ`. A non-finite timestamp formats as dashes
 * (`--:--`, `--/--`) instead of throwing or printing `NaN`.
 */
import { VIETNAM_OFFSET_MS } from '../citizens/dates.js';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The timestamp shifted to Vietnam wall-clock time, readable with the `getUTC*` getters. */
function shifted(ms: number): Date | null {
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms + VIETNAM_OFFSET_MS);
  return Number.isNaN(d.getTime()) ? null : d;
}

function hm(d: Date | null): string {
  return d === null ? '--:--' : `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

function dm(d: Date | null): string {
  return d === null ? '--/--' : `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}`;
}

/** `HH:MM` (24-hour) in Vietnam time, e.g. `formatHm(Date.UTC(2025, 2, 12, 7, 5))` -> `14:05`. */
export function formatHm(ms: number): string {
  return hm(shifted(ms));
}

/** `dd/mm HH:MM` in Vietnam time, e.g. `12/03 14:05`. */
export function formatDmHm(ms: number): string {
  const d = shifted(ms);
  return `${dm(d)} ${hm(d)}`;
}

/** `HH:MM dd/mm` in Vietnam time, e.g. `14:05 12/03`. */
export function formatHmDm(ms: number): string {
  const d = shifted(ms);
  return `${hm(d)} ${dm(d)}`;
}

/**
 * Rounds a timestamp UP to the next whole minute (unchanged when already on one), so that a
 * "try again after HH:MM" never names a minute that is still too early.
 */
export function ceilToMinute(ms: number): number {
  return Math.ceil(ms / 60_000) * 60_000;
}
