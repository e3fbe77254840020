/**
 * The benchmark's floor: the least work a server can do with the project's guarantees, on the
 * same records. `DATABASE_PATH=<seeded project db> FLOOR_AUDIT_PATH=<new file> TWILIO_AUTH_TOKEN=..
 * PUBLIC_BASE_URL=.. PORT=0 node dist/bench/floor-server.js`.
 *
 * Per `POST /sms`, exactly:
 * - one HMAC-SHA1 check of `X-Twilio-Signature` (Twilio's algorithm: the URL, then each parameter
 *   name and value sorted by name), compared in constant time;
 * - the record read by its key (`TT <id>`) from the project's `citizens` table, and the sender
 *   compared with the record's phone;
 * - the sender's lookups of the last hour counted from an index;
 * - one audit row (MessageSid unique, sender and target indexes) written in a group commit: every
 *   request that arrived in the same turn of the event loop is committed in one transaction, and
 *   no reply leaves before its row is committed (WAL, `synchronous = NORMAL`, as the project);
 * - TwiML built from a template, the values XML-escaped.
 * No logging, no metrics, no rendering rules, no limits beyond the count. Logs one JSON line
 * `{"msg":"listening","port":N}` when ready; stops on SIGTERM or SIGINT.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import express, { type Response } from 'express';
import { serve } from './serve.js';

const token = process.env.TWILIO_AUTH_TOKEN ?? '';
const url = `${process.env.PUBLIC_BASE_URL ?? ''}/sms`;
const records = new Database(process.env.DATABASE_PATH ?? '', { readonly: true, fileMustExist: true });
const audit = new Database(process.env.FLOOR_AUDIT_PATH ?? '');
audit.pragma('journal_mode = WAL');
audit.pragma('synchronous = NORMAL');
audit.exec(`CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, message_sid TEXT NOT NULL UNIQUE,
  sender TEXT NOT NULL, target_id TEXT, outcome TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_sender ON audit (sender, at);
CREATE INDEX IF NOT EXISTS audit_target ON audit (target_id, at);`);

const findCitizen = records.prepare<[string], { full_name: string; phone: string; date_of_birth: string }>(
  'SELECT full_name, phone, date_of_birth FROM citizens WHERE id_number = ?',
);
const countLastHour = audit.prepare<[string, number]>('SELECT count(*) FROM audit WHERE sender = ? AND at >= ?').pluck();
const insert = audit.prepare('INSERT INTO audit (at, message_sid, sender, target_id, outcome) VALUES (?, ?, ?, ?, ?)');

function expectedSignature(params: Record<string, string>): Buffer {
  const hmac = createHmac('sha1', token).update(url);
  for (const name of Object.keys(params).sort()) hmac.update(name).update(params[name] ?? '');
  return hmac.digest();
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const twiml = (text: string) => `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${escapeXml(text)}</Message></Response>`;

interface Pending {
  row: [number, string, string, string | null, string];
  res: Response;
  reply: string;
}
let pending: Pending[] = [];
const commitBatch = audit.transaction((batch: Pending[]) => {
  for (const p of batch) insert.run(...p.row);
});
function flush(): void {
  const batch = pending;
  pending = [];
  try {
    commitBatch(batch);
    for (const p of batch) p.res.status(200).type('text/xml').send(p.reply);
  } catch {
    for (const p of batch) p.res.status(503).end();
  }
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/sms', express.urlencoded({ extended: false, limit: '64kb' }), (req, res) => {
  const params = req.body as Record<string, string>;
  const given = Buffer.from(req.get('x-twilio-signature') ?? '', 'base64');
  const expected = expectedSignature(params);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    res.status(403).end();
    return;
  }
  const sender = params.From ?? '';
  const sid = params.MessageSid ?? '';
  const id = /^TT (\d{12})$/.exec(params.Body ?? '')?.[1] ?? null;
  const citizen = id === null ? undefined : findCitizen.get(id);
  const at = Date.now();
  const lookups = countLastHour.get(sender, at - 3_600_000) as number;
  const served = citizen !== undefined && citizen.phone === sender && lookups < 10;
  const reply = twiml(served ? `Ho ten: ${citizen.full_name}\nNgay sinh: ${citizen.date_of_birth}` : 'Khong tim thay.');
  if (pending.length === 0) setImmediate(flush);
  pending.push({ row: [at, sid, sender, id, served ? 'served' : 'refused'], res, reply });
});

serve(app);
