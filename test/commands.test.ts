// Every command through the real webhook: TT, CT, CC, LS, help, English keywords, both
// encodings within the segment budget, XML escaping, and opt-out, on SQLite and on PostgreSQL.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countSegments } from '../src/sms/gsm7.js';
import { twimlMessageText } from '../src/sms/twiml.js';
import { CT_FIELDS, TT_FIELDS } from '../src/sms/replyFields.js';
import { citizen } from '../src/testing/citizens.js';
import { STORES, startTestServer, type TestServer } from './helpers/server.js';

const OWNER = citizen({
  temporaryAddress: 'Phòng 5, "Nhà A" & <Khu B>, Hà Nội',
  cardIssuedOn: '2022-06-15',
  dateOfBirth: '1985-11-02',
  idNumber: '001085054321',
});
const LONG = citizen({
  idNumber: '001190000222',
  phone: '+84987000222',
  sex: 'F',
  dateOfBirth: '1990-01-01',
  fullName: 'Tôn Nữ Thị Phương Thảo',
  permanentAddress: `Số 1 ${'Đường Rất Dài '.repeat(40)}`,
  currentAddress: `Số 2 ${'Ngõ Rất Dài '.repeat(40)}`,
  temporaryAddress: `Số 3 ${'Hẻm Rất Dài '.repeat(40)}`,
  hometown: 'Thừa Thiên Huế '.repeat(40),
  cardIssuedOn: null,
});
const SENIOR = citizen({
  idNumber: '036150000333',
  phone: '+84977000333',
  sex: 'F',
  dateOfBirth: '1950-01-05',
  cardIssuedOn: '2021-03-01',
});

/** The reply text of a TwiML answer, XML entities decoded ('' when nothing is sent). */
const message = (twiml: string) => twimlMessageText(twiml) ?? '';
const ask = async (server: TestServer, from: string, body: string) => message((await server.sms(from, body)).text);

describe.each(STORES)('on %s', (store) => {
  let s: TestServer;
  let u: TestServer;
  beforeAll(async () => {
    s = await startTestServer([OWNER, LONG, SENIOR], {}, { store });
    u = await startTestServer([OWNER, LONG], { encoding: 'unicode' }, { store });
  });
  // Each test starts two hours later, so the hourly lookup limit never interferes.
  beforeEach(() => {
    s.clock.now += 2 * 3_600_000;
    u.clock.now += 2 * 3_600_000;
  });
  afterAll(async () => {
    await s.close();
    await u.close();
  });

  describe('TT: personal information', () => {
    it('gives name, birth date, sex, places, nationality and the masked ID, and names ethnicity and religion as not sent', async () => {
      const text = await ask(s, '+84912345678', 'TT 001085054321');
      for (const part of ['Nguyen Van Thu', '02/11/1985', 'Nam', 'Ha Noi', 'Nam Dinh', 'Viet Nam', '001******321']) {
        expect(text).toContain(part);
      }
      expect(text).not.toContain('001085054321');
      expect(text).not.toMatch(/Kinh|Khong/); // sensitive (Decree 13/2023 Art. 2(4)): not sent by default
      expect(text).toMatch(/\nDan toc, ton giao: xem VNeID\/cong an xa\.$/);
    });
    it('sends ethnicity and religion when SMS_TT_FIELDS lists them', async () => {
      const all = await startTestServer([OWNER], { replyFields: { tt: TT_FIELDS, ct: CT_FIELDS } }, { store });
      try {
        const text = await ask(all, '+84912345678', 'TT 001085054321');
        expect(text).toContain('Dan toc: Kinh\nTon giao: Khong\nQuoc tich: Viet Nam');
        expect(text).not.toContain('VNeID');
      } finally {
        await all.close();
      }
    });
    it('answers INFO in English', async () => {
      const text = await ask(s, '+84912345678', 'info 001085054321');
      expect(text).toMatch(/Name/);
      expect(text).toContain('Male');
    });
  });

  describe('CT: residence', () => {
    it('gives permanent, temporary and current addresses, XML-escaped on the wire', async () => {
      const res = await s.sms('+84912345678', 'CT 001085054321');
      expect(res.text).toContain('&amp;');
      expect(res.text).toContain('&lt;Khu B&gt;');
      expect(res.text).not.toContain('<Khu B>');
      const text = message(res.text);
      expect(text).toContain('Phong 5, "Nha A" & <Khu B>, Ha Noi');
      expect(text).toMatch(/Thuong tru/);
      expect(text).toMatch(/Tam tru/);
      expect(text).toMatch(/Noi o hien tai/);
    });
    it('leaves out the temporary address when there is none', async () => {
      const text = await ask(s, '+84977000333', 'ADDR 036150000333');
      expect(text).toMatch(/Permanent address/);
      expect(text).not.toMatch(/Temporary address/);
    });
  });

  describe('CC: identity card', () => {
    it('reports an expired card with its computed expiry (born 02/11/1985, issued 15/06/2022)', async () => {
      const text = await ask(s, '+84912345678', 'CC 001085054321');
      expect(text).toContain('15/06/2022');
      expect(text).toContain('02/11/2025');
      expect(text).toMatch(/Het han/);
    });
    it('reports no expiry for a card issued after 60', async () => {
      const text = await ask(s, '+84977000333', 'CARD 036150000333');
      expect(text).toMatch(/no expiry/);
      expect(text).toMatch(/valid/);
    });
    it('says so when there is no card', async () => {
      expect(await ask(s, '+84987000222', 'CC 001190000222')).toMatch(/Khong co the can cuoc/);
    });
  });

  describe('help and bad commands', () => {
    it.each(['HD', 'hd', 'HĐ', '?', '', '   ', 'xin chao', 'TTT 001085054321'])('"%s" gets the Vietnamese command list', async (body) => {
      const text = await ask(s, '+84912345678', body);
      for (const kw of ['TT', 'CT', 'CC', 'LS']) expect(text).toContain(kw);
      expect(text).toMatch(/VD: TT \d{12}/);
    });
    it('HELP gets the English command list', async () => {
      expect(await ask(s, '+84912345678', 'help')).toMatch(/Send INFO/);
    });
    it('a keyword with a short ID says what is needed', async () => {
      expect(await ask(s, '+84912345678', 'TT 12345')).toMatch(/can so dinh danh 12 so/);
    });
    it('full-width text and separators in the ID work', async () => {
      expect(await ask(s, '+84912345678', 'ＴＴ　００１０８５０５４３２１')).toContain('Nguyen Van Thu');
      expect(await ask(s, '+84912345678', 'tt 001.085.054-321')).toContain('Nguyen Van Thu');
    });
  });

  describe('segment budget', () => {
    it.each([
      // command, the labels of its long fields
      ['TT', ['Que quan']],
      ['CT', ['Thuong tru', 'Tam tru', 'Noi o hien tai']],
    ])('%s with very long fields fits 3 GSM-7 segments, each long field shortened with "..."', async (cmd, labels) => {
      const text = await ask(s, '+84987000222', `${cmd} 001190000222`);
      const count = countSegments(text);
      expect(count.encoding).toBe('GSM-7');
      expect(count.segments).toBeLessThanOrEqual(3);
      for (const label of labels) expect(text.split('\n').find((l) => l.startsWith(`${label}: `))).toMatch(/\.\.\.$/);
    });
    it.each(['CC', 'LS'])('%s of the same citizen, which has no long field, fits 3 GSM-7 segments uncut', async (cmd) => {
      const text = await ask(s, '+84987000222', `${cmd} 001190000222`);
      const count = countSegments(text);
      expect(count.encoding).toBe('GSM-7');
      expect(count.segments).toBeLessThanOrEqual(3);
      expect(text).not.toContain('...');
    });
    it('keeps diacritics within 3 UCS-2 segments with SMS_ENCODING=unicode', async () => {
      const text = await ask(u, '+84987000222', 'CT 001190000222');
      expect(text).toContain('Thường trú');
      expect(text).toContain('...');
      expect(text).toBe(text.normalize('NFC'));
      const count = countSegments(text);
      expect(count.encoding).toBe('UCS-2');
      expect(count.segments).toBeLessThanOrEqual(3);
    });
    it('in unicode mode a short reply keeps its Vietnamese name', async () => {
      expect(await ask(u, '+84912345678', 'TT 001085054321')).toContain('Nguyễn Văn Thử');
    });
  });

  describe('opt-out', () => {
    it.each(['STOP', 'stop', 'StopAll', 'UNSUBSCRIBE', 'cancel', 'END', 'quit'])(
      '"%s" opts out with an empty reply; START opts back in',
      async (kw) => {
        const res = await s.sms('+84912345678', kw);
        expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
        expect((await s.sms('+84912345678', 'TT 001085054321')).text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
        expect((await s.sms('+84912345678', 'HD')).text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
        const back = await ask(s, '+84912345678', kw === 'quit' ? 'UNSTOP' : kw === 'END' ? 'yes' : 'START');
        expect(back).toMatch(/nhan lai tin tra loi/);
        expect(await ask(s, '+84912345678', 'TT 001085054321')).toContain('Nguyen Van Thu');
      },
    );
    it('"STOP please" is not an opt-out', async () => {
      expect((await s.sms('+84912345678', 'STOP please')).text).toContain('<Message ');
    });
  });
});
