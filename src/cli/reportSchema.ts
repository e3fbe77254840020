/**
 * The schema of the citizen's full access report (`npm run admin -- report <id>`), for a
 * data-subject request: the one source of truth. `docs/report-schema.json` is its JSON Schema
 * form, written by `npm run admin -- report-schema` (a test checks that the file is current).
 */
import { z } from 'zod';
import { OPTIONAL_FIELDS, REQUIRED_FIELDS } from '../citizens/record.js';

const COMMANDS = ['TT', 'CT', 'CC', 'LS', 'HELP', 'STOP', 'START', 'OTHER'] as const;
const OUTCOMES = ['served', 'refused', 'rate_limited', 'locked', 'help', 'opted_out', 'no_reply'] as const;

const text = z.string();
const instant = z.iso.datetime().describe('UTC, ISO 8601');

/** The record as the `citizens` table holds it, by column name. */
const RECORD = z
  .object({
    ...Object.fromEntries(REQUIRED_FIELDS.map((f) => [f, text])),
    ...Object.fromEntries(OPTIONAL_FIELDS.map((f) => [f, text.nullable()])),
  })
  .strict()
  .describe('The record as stored, by column name (the names SMS_TT_FIELDS and SMS_CT_FIELDS use); null when no record has this ID');

const DELIVERY_EVENT = z
  .object({
    at: instant.describe('When the status callback arrived (UTC)'),
    messageSid: text.describe("Twilio's id of the reply"),
    status: text.describe("Twilio's MessageStatus"),
    errorCode: text.nullable().describe("Twilio's ErrorCode, when sent"),
  })
  .strict();

const ACCESS = z
  .object({
    at: instant,
    atVietnam: text.describe('The same time in Vietnam (UTC+7), YYYY-MM-DD HH:MM:SS'),
    channel: z.literal('sms'),
    command: z.enum(COMMANDS),
    outcome: z.enum(OUTCOMES),
    sender: text.describe('The sending number, masked (+8491***678)'),
    fromRegisteredPhone: z.boolean().describe("True when the sender is the record's registered phone"),
    reference: text.describe("Twilio's id of the inbound message (the audit row's MessageSid)"),
    segments: z.number().int().min(0).describe('SMS segments of the reply, 0 when nothing was sent'),
    delivery: z
      .object({
        status: text
          .nullable()
          .describe(
            'The status shown: the highest in the lifecycle (queued < sending < sent < delivered/undelivered/failed < read), the later among equals; null without a receipt',
          ),
        errorCode: text.nullable().describe('The error code of the event shown'),
        neverDelivered: z.boolean().describe('True when the status shown is undelivered, failed or canceled'),
        events: z.array(DELIVERY_EVENT).describe('Every status callback, in arrival order'),
      })
      .strict(),
  })
  .strict();

const RETENTION_ITEM = z.object({ what: text, kept: text }).strict();

/** The report. */
export const ACCESS_REPORT = z
  .object({
    report: z.literal('citizen-access-report'),
    version: z.literal(1),
    generatedAt: instant,
    idNumber: z.string().regex(/^\d{12}$/),
    record: RECORD.nullable(),
    accesses: z.array(ACCESS).describe('Every message that asked about this ID, oldest first'),
    retention: z
      .object({
        replyRetentionMinutes: z.number().describe('REPLY_RETENTION_MINUTES'),
        lockoutHours: z.number().describe('LOCKOUT_HOURS'),
        items: z.array(RETENTION_ITEM),
      })
      .strict()
      .describe('What is kept about these accesses, and for how long, under the running configuration'),
    auditHead: text.nullable().describe('The tamper-evident audit head that covers these rows; null when the store has none'),
    missing: z.array(text).describe('Parts of the report this installation cannot fill, and why'),
  })
  .strict();

/** A citizen's full access report. */
export type AccessReport = z.infer<typeof ACCESS_REPORT>;
/** One access in the report. */
export type ReportAccess = AccessReport['accesses'][number];

/** The report's JSON Schema (draft 2020-12), as `docs/report-schema.json` holds it. */
export function reportJsonSchema(): Record<string, unknown> {
  return { title: 'Citizen access report', ...z.toJSONSchema(ACCESS_REPORT) };
}
