/**
 * The browser simulator of demo mode: `GET /` serves a page (public/simulator/, no CDN) on which a
 * visitor sends an SMS as one of the sample citizens, or any number, and sees the reply as a phone
 * shows it, with the record's access history as LS would give it.
 *
 * The page computes nothing itself. `POST /simulator/api/send` signs the message with the
 * configured auth token, exactly as Twilio signs, and posts it to this server's own `/sms` over
 * HTTP: the same signature check, service and audit as a real message. Added only in demo mode;
 * otherwise every path here answers 404.
 */
import express, { type Express } from 'express';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { normalizeSender, normalizeVietnameseMobile } from '../citizens/phone.js';
import { PROJECT_ROOT, SAMPLE_CSV } from '../paths.js';
import { readSeedFile } from '../seeding/sources.js';
import { countSegments } from '../sms/gsm7.js';
import { MAX_HISTORY_ENTRIES, renderReply } from '../sms/render.js';
import { HISTORY_DAYS_MS } from '../sms/service.js';
import { inboundParams, signForm } from '../sms/twilioFixtures.js';
import { twimlMessageText } from '../sms/twiml.js';
import type { Lang, SmsEncoding } from '../sms/types.js';
import type { Store } from '../store/types.js';

/** What the simulator needs. */
export interface SimulatorDeps {
  store: Store;
  clock: () => number;
  /** The token the webhook checks (demo mode: the local demo token). */
  token: string;
  /** The base URL the webhook checks signatures against. */
  publicBaseUrl: () => string;
  encoding: SmsEncoding;
  accountSid?: string;
}

/** A sample citizen as the page lists them (fictional records). */
interface SamplePerson {
  name: string;
  phone: string;
  idNumber: string;
}

const STATIC = join(PROJECT_ROOT, 'public', 'simulator');
const ID_NUMBER = /\b\d{12}\b/;

async function samplePeople(): Promise<SamplePerson[]> {
  const people: SamplePerson[] = [];
  for await (const row of readSeedFile(SAMPLE_CSV)) {
    if (!('fields' in row)) continue;
    const { full_name: name, phone, id_number: idNumber } = row.fields;
    if (typeof name === 'string' && typeof phone === 'string' && typeof idNumber === 'string') people.push({ name, phone, idNumber });
  }
  return people;
}

function senderE164(from: string): string {
  const vn = normalizeVietnameseMobile(from);
  if (vn.ok) return vn.value;
  return normalizeSender(from)?.e164 ?? from;
}

/** Adds the page and its API. Call only in demo mode. */
export function addSimulatorRoutes(app: Express, deps: SimulatorDeps): void {
  let people: Promise<SamplePerson[]> | undefined;
  app.get('/', (_req, res) => {
    res.sendFile(join(STATIC, 'index.html'));
  });
  app.use('/simulator/static', express.static(STATIC, { index: false, fallthrough: false }));
  app.get('/simulator/api/people', async (_req, res) => {
    people ??= samplePeople();
    res.json(await people);
  });
  app.post('/simulator/api/send', express.json({ limit: '8kb' }), async (req, res) => {
    const input = req.body as { from?: unknown; body?: unknown; lang?: unknown; record?: unknown } | undefined;
    const from = typeof input?.from === 'string' ? input.from.trim() : '';
    const text = typeof input?.body === 'string' ? input.body : '';
    const lang: Lang = input?.lang === 'en' ? 'en' : 'vi';
    if (!from || text.length > 1600) {
      res.status(400).json({ error: 'from and body (at most 1,600 characters) are required' });
      return;
    }
    // Signed exactly as Twilio signs, over the URL the webhook checks, and posted to this server.
    const signedUrl = `${deps.publicBaseUrl()}/sms`;
    const extra: Record<string, string> = deps.accountSid ? { AccountSid: deps.accountSid } : {};
    const sender = senderE164(from);
    const { body, signature } = signForm(deps.token, signedUrl, inboundParams(sender, text, extra));
    const local = req.socket.address() as AddressInfo;
    const host = local.family === 'IPv6' ? `[${local.address}]` : local.address;
    const answer = await fetch(`http://${host}:${local.port}/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body,
    });
    const twiml = await answer.text();
    const reply = answer.ok ? twimlMessageText(twiml) : undefined;
    const counted = reply === undefined ? undefined : countSegments(reply);
    // The record's access history as LS would give it, read without sending (or auditing) an LS.
    // The record: the ID in the message, else the sample citizen picked on the page.
    const id = ID_NUMBER.exec(text)?.[0] ?? (typeof input?.record === 'string' && /^\d{12}$/.test(input.record) ? input.record : undefined);
    const citizen = id === undefined ? undefined : await deps.store.findCitizen(id);
    let history: { text: string; encoding: string; characters: number; segments: number } | undefined;
    if (citizen) {
      const now = deps.clock();
      const h = await deps.store.accessHistory(citizen.idNumber, citizen.phone, {
        limit: MAX_HISTORY_ENTRIES,
        since: now - HISTORY_DAYS_MS,
      });
      const rendered = renderReply({ kind: 'history', entries: h.entries, total30Days: h.total }, { lang, encoding: deps.encoding });
      const { encoding, units, segments } = countSegments(rendered.text);
      history = { text: rendered.text, encoding, characters: units, segments };
    }
    res.json({
      status: answer.status,
      refused: answer.ok ? undefined : twiml.trim(),
      sender,
      signedUrl,
      reply,
      encoding: counted?.encoding,
      characters: counted?.units,
      segments: counted?.segments,
      history,
    });
  });
}
