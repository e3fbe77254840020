/**
 * The citizen's full access report, for a data-subject request (the right to know how one's data
 * was processed, Law on Personal Data Protection 91/2025/QH15): the record as stored, every access
 * to it with its delivery, the retention that applies, and the audit head that covers it. JSON
 * ({@link ACCESS_REPORT}) and a plain text form an officer can print.
 */
import { latestDelivery, neverDelivered } from '../audit/delivery.js';
import { VIETNAM_OFFSET_MS } from '../citizens/dates.js';
import { maskPhone } from '../citizens/phone.js';
import { RECORD_FIELDS } from '../citizens/record.js';
import type { Citizen } from '../citizens/types.js';
import type { Config } from '../config.js';
import { citizenValues } from '../store/citizenRows.js';
import type { TrailEntry } from '../store/types.js';
import { ACCESS_REPORT, type AccessReport, type ReportAccess } from './reportSchema.js';

/** Vietnam time (UTC+7) as `YYYY-MM-DD HH:MM:SS`. */
export function vietnamTime(ms: number): string {
  return new Date(ms + VIETNAM_OFFSET_MS).toISOString().replace('T', ' ').slice(0, 19);
}

/** What the report is built from. */
export interface ReportInputs {
  idNumber: string;
  citizen: Citizen | undefined;
  trail: readonly TrailEntry[];
  config: Pick<Config, 'replyRetentionMs' | 'lockoutMs'>;
  now: number;
  /** The audit head covering the trail, when the store keeps one. */
  auditHead: string | null;
}

/** Why the audit head is missing, when it is. */
export const NO_AUDIT_HEAD =
  'auditHead: this installation keeps no tamper-evident audit head (no Store.auditHead); the rows are as the append-only audit log holds them';

function access(e: TrailEntry, citizen: Citizen | undefined): ReportAccess {
  const shown = latestDelivery(e.deliveries);
  return {
    at: new Date(e.at).toISOString(),
    atVietnam: vietnamTime(e.at),
    channel: 'sms',
    command: e.command,
    outcome: e.outcome,
    sender: maskPhone(e.sender),
    fromRegisteredPhone: citizen !== undefined && e.sender === citizen.phone,
    reference: e.messageSid,
    segments: e.segments,
    delivery: {
      status: shown?.status ?? null,
      errorCode: shown?.errorCode ?? null,
      neverDelivered: neverDelivered(shown?.status),
      events: e.deliveries.map((d) => ({
        at: new Date(d.at).toISOString(),
        messageSid: d.messageSid,
        status: d.status,
        errorCode: d.errorCode,
      })),
    },
  };
}

/** Builds the report, checked against its schema (a report that does not match is a bug: it throws). */
export function buildAccessReport(inputs: ReportInputs): AccessReport {
  const { citizen, config } = inputs;
  const minutes = config.replyRetentionMs / 60_000;
  const lockoutHours = config.lockoutMs / 3_600_000;
  const values = citizen ? citizenValues(citizen) : [];
  const report: AccessReport = {
    report: 'citizen-access-report',
    version: 1,
    generatedAt: new Date(inputs.now).toISOString(),
    idNumber: inputs.idNumber,
    record: citizen ? Object.fromEntries(RECORD_FIELDS.map((f, i) => [f, values[i] ?? null])) : null,
    accesses: inputs.trail.map((e) => access(e, citizen)),
    retention: {
      replyRetentionMinutes: minutes,
      lockoutHours,
      items: [
        {
          what: 'Each access (audit row)',
          kept: 'until removed by prune-audit under the agency’s retention rules; append-only until then',
        },
        { what: 'Delivery events of a reply', kept: 'as long as the access they belong to (removed with it)' },
        { what: 'The text of a reply', kept: `${minutes} minutes, for a redelivery of the same message; then deleted` },
        {
          what: 'The sending number’s limits state',
          kept: `1 hour after its last lookup or reply, ${lockoutHours} hours after its last failed verification or the end of a lock; after STOP until START`,
        },
        { what: 'The text of the citizen’s messages', kept: 'never stored' },
      ],
    },
    auditHead: inputs.auditHead,
    missing: inputs.auditHead === null ? [NO_AUDIT_HEAD] : [],
  };
  return ACCESS_REPORT.parse(report);
}

function deliveryText(a: ReportAccess): string {
  const d = a.delivery;
  if (d.status === null) return 'no receipt';
  const code = d.errorCode === null ? '' : ` (error ${d.errorCode})`;
  return `${d.status}${code}${d.neverDelivered ? ' - NEVER DELIVERED' : ''}`;
}

/** The plain text form of a report, for printing. */
export function reportText(r: AccessReport): string {
  const out: string[] = [];
  out.push(`ACCESS REPORT for the record with ID number ${r.idNumber}`);
  out.push(`Generated ${vietnamTime(Date.parse(r.generatedAt))} Vietnam time (UTC+7)`, '');
  out.push('1. THE RECORD AS STORED');
  if (r.record === null) out.push('   No record has this ID number.');
  else for (const [field, value] of Object.entries(r.record)) out.push(`   ${field.padEnd(26)}${value ?? '(none)'}`);
  out.push('', `2. EVERY ACCESS TO IT (${r.accesses.length}), oldest first, Vietnam time`);
  if (r.accesses.length === 0) out.push('   None recorded.');
  for (const a of r.accesses) {
    const who = `${a.sender} (${a.fromRegisteredPhone ? 'registered phone' : 'other number'})`;
    out.push(
      `   ${a.atVietnam}  ${a.channel.toUpperCase()}  ${a.command.padEnd(5)} ${a.outcome.padEnd(12)} ${who.padEnd(34)} ${deliveryText(a)}`,
    );
  }
  out.push('', '3. RETENTION');
  for (const item of r.retention.items) out.push(`   ${item.what}: ${item.kept}.`);
  out.push('', '4. AUDIT HEAD');
  out.push(`   ${r.auditHead ?? 'none'}`);
  for (const m of r.missing) out.push(`   Missing: ${m}`);
  return `${out.join('\n')}\n`;
}
