// The citizen's full access report, run as a process (`admin report`) on SQLite and PostgreSQL,
// for a citizen whose record was looked up through the real webhook from the registered phone and
// from other numbers, with delivery receipts; the output is checked against the report's schema,
// and docs/report-schema.json against the schema it is written from. Also `admin audit`'s
// delivery column.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_REPORT, reportJsonSchema } from '../../src/cli/reportSchema.js';
import { testSid } from '../../src/sms/twilioFixtures.js';
import { citizen } from '../../src/testing/citizens.js';
import { runTool } from '../helpers/cli.js';
import { startTestServerOn, T0, type TestServer } from '../helpers/server.js';

const OWNER = citizen(); // 001099054321, +84912345678, Nguyễn Văn Thử
const STRANGER = '+84971234111';
const MINUTE = 60_000;

/** The published schema, read as any consumer would, with a JSON Schema validator of its own. */
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validateAgainstDocs = ajv.compile(JSON.parse(readFileSync('docs/report-schema.json', 'utf8')) as object);
/** Parses a report and checks it against docs/report-schema.json and the zod schema it is written from. */
function checkedReport(json: string): ReturnType<typeof ACCESS_REPORT.parse> {
  const value = JSON.parse(json) as unknown;
  expect(validateAgainstDocs(value), JSON.stringify(validateAgainstDocs.errors)).toBe(true);
  return ACCESS_REPORT.parse(value);
}

it('docs/report-schema.json is the JSON Schema of the report, as `admin report-schema` prints it', () => {
  const file = JSON.parse(readFileSync('docs/report-schema.json', 'utf8')) as unknown;
  expect(file).toEqual(reportJsonSchema());
  const printed = runTool('admin', ['report-schema'], {});
  expect(printed.code).toBe(0);
  expect(JSON.parse(printed.stdout)).toEqual(file);
});

it('fails: docs/report-schema.json refuses a report with a field missing, added or of the wrong type', () => {
  const valid = {
    report: 'citizen-access-report',
    version: 1,
    generatedAt: '2026-12-02T01:00:00.000Z',
    idNumber: '001099054321',
    record: null,
    accesses: [],
    retention: { replyRetentionMinutes: 10, lockoutHours: 24, items: [] },
    auditHead: null,
    missing: [],
  };
  expect(validateAgainstDocs(valid)).toBe(true);
  const { auditHead: _dropped, ...withoutHead } = valid;
  for (const bad of [withoutHead, { ...valid, extra: 1 }, { ...valid, idNumber: '123' }, { ...valid, generatedAt: 'yesterday' }])
    expect(validateAgainstDocs(bad)).toBe(false);
});

describe.each(['sqlite', 'postgres'] as const)('admin report on %s', (backend) => {
  let s: TestServer;
  let dir: string;
  beforeEach(async () => {
    s = await startTestServerOn(backend, [OWNER, citizen({ idNumber: '079190000111', phone: STRANGER })]);
    dir = mkdtempSync(join(tmpdir(), 'report-'));
    // From the registered phone: TT, delivered after an out-of-order "sent".
    await s.sms(OWNER.phone, 'TT 001099054321', { extra: { MessageSid: testSid('own tt') } });
    await s.status(testSid('own tt'), testSid('reply 1'), 'delivered');
    await s.status(testSid('own tt'), testSid('reply 1'), 'sent');
    // From another number: refused, and its reply never delivered.
    s.clock.now = T0 + 5 * MINUTE;
    await s.sms(STRANGER, 'CT 001099054321', { extra: { MessageSid: testSid('stranger ct') } });
    await s.status(testSid('stranger ct'), testSid('reply 2'), 'undelivered', { extra: { ErrorCode: '30003' } });
    // From the registered phone again, no receipt yet; and a message about another record.
    s.clock.now = T0 + 9 * MINUTE;
    await s.sms(OWNER.phone, 'LS 001099054321', { extra: { MessageSid: testSid('own ls') } });
    await s.sms(STRANGER, 'TT 079190000111');
  });
  afterEach(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = (): Record<string, string> =>
    backend === 'postgres' ? { DATABASE_URL: s.databaseUrl ?? '' } : { DATABASE_PATH: s.file ?? '' };
  const admin = (...args: string[]) => runTool('admin', args, env());

  it('prints the JSON report: the record as stored, every access with its delivery, retention, and the audit head that covers it', () => {
    const r = admin('report', '001099054321');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const report = checkedReport(r.stdout);
    expect(report.idNumber).toBe('001099054321');
    expect(report.record).toMatchObject({ id_number: '001099054321', full_name: 'Nguyễn Văn Thử', phone: '+84912345678' });
    expect(report.record?.religion).toBe(OWNER.religion); // as stored, sensitive fields too
    expect(
      report.accesses.map((a) => [a.atVietnam, a.channel, a.command, a.outcome, a.sender, a.fromRegisteredPhone, a.delivery.status]),
    ).toEqual([
      ['2026-11-27 10:00:00', 'sms', 'TT', 'served', '+8491***678', true, 'delivered'],
      ['2026-11-27 10:05:00', 'sms', 'CT', 'refused', '+8497***111', false, 'undelivered'],
      ['2026-11-27 10:09:00', 'sms', 'LS', 'served', '+8491***678', true, null],
    ]);
    expect(report.accesses[0]?.delivery.events.map((e) => e.status)).toEqual(['delivered', 'sent']);
    expect(report.accesses[1]?.delivery).toMatchObject({ errorCode: '30003', neverDelivered: true });
    expect(report.accesses[0]?.reference).toBe(testSid('own tt'));
    expect(r.stdout).not.toContain(STRANGER);
    expect(report.retention).toMatchObject({ replyRetentionMinutes: 10, lockoutHours: 24 });
    // The head of the audit chain, sealed after the rows were read: verify-audit accepts it as a head the log extends.
    expect(report.auditHead).toMatch(/^\d+:[0-9a-f]{64}$/);
    expect(Number(report.auditHead?.split(':')[0])).toBeGreaterThanOrEqual(3);
    expect(report.missing).toEqual([]);
    expect(admin('verify-audit', '--head', report.auditHead ?? '').code).toBe(0);
  });

  it('writes the report to a new file only (mode 0600), and prints a plain text form with --text', () => {
    const out = join(dir, 'report.json');
    const r = admin('report', '001099054321', '--out', out);
    expect([r.code, r.stdout]).toEqual([0, `report on 001099054321 written to ${out}: 3 access(es)\n`]);
    expect(checkedReport(readFileSync(out, 'utf8')).accesses).toHaveLength(3);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(admin('report', '001099054321', '--out', out).code).toBe(2); // never overwritten
    const text = admin('report', '001099054321', '--text');
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('ACCESS REPORT for the record with ID number 001099054321');
    expect(lines).toContain('   full_name                 Nguyễn Văn Thử');
    expect(lines.find((l) => l.includes('10:05:00'))).toMatch(
      /SMS {2}CT {4}refused +\+8497\*\*\*111 \(other number\) +undelivered \(error 30003\) - NEVER DELIVERED$/,
    );
    expect(lines.find((l) => l.includes('10:00:00'))).toMatch(/\(registered phone\) +delivered$/);
    expect(lines.find((l) => l.includes('10:09:00'))).toMatch(/no receipt$/);
    expect(text.stdout).toMatch(/The text of a reply: 10 minutes/);
    expect(text.stdout).toMatch(/4\. AUDIT HEAD\n {3}\d+:[0-9a-f]{64}\n/);
  });

  it('reports an ID without a record (its accesses still listed), and refuses a malformed ID', () => {
    const r = admin('report', '001099099999');
    expect(r.code).toBe(0);
    expect(checkedReport(r.stdout)).toMatchObject({ record: null, accesses: [] });
    expect(admin('report', '12345').code).toBe(2);
    expect(admin('audit', '001099054321', '--text').code).toBe(2);
  });

  it('admin audit shows each access’s delivery', () => {
    const r = admin('audit', '001099054321');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/delivery: delivered \(2 events\)$/);
    expect(lines[2]).toMatch(/delivery: undelivered 30003 \(1 event\)$/);
    expect(lines[3]).toMatch(/delivery: no receipt$/);
  });
});
