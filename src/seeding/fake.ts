/**
 * Deterministic fake citizens for demos and benchmarks: the same index always gives the same
 * record, every record passes validation, ID numbers and phones are unique, and the order of
 * ID numbers is random. All people are fictional.
 */
import { PROVINCE_CODES } from '../citizens/provinces.js';
import { RECORD_FIELDS, type RecordField } from '../citizens/record.js';

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương'];
const MIDDLE = ['Văn', 'Thị', 'Hữu', 'Minh', 'Thu', 'Đức', 'Ngọc', 'Quang'];
const GIVEN = [
  'An',
  'Bình',
  'Chi',
  'Dũng',
  'Giang',
  'Hà',
  'Hải',
  'Khánh',
  'Lan',
  'Long',
  'Mai',
  'Nam',
  'Phúc',
  'Quyên',
  'Sơn',
  'Thảo',
  'Trung',
  'Vy',
];
const STREETS = ['Láng Hạ', 'Trần Phú', 'Lê Lợi', 'Nguyễn Huệ', 'Hai Bà Trưng', 'Điện Biên Phủ'];
const CITIES = ['Hà Nội', 'TP Hồ Chí Minh', 'Đà Nẵng', 'Hải Phòng', 'Cần Thơ', 'Huế'];
const MOBILE_PREFIXES = ['90', '91', '93', '94', '96', '97', '98', '32', '33', '35', '36', '37', '38', '39'];

/** A raw seed row, as it would come from a CSV file. */
export type FakeRow = Record<RecordField, string>;

/** A small seeded PRNG (mulberry32): the same seed always draws the same numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `list[i]`, which the caller knows is in range. */
function at<T>(list: readonly T[], i: number): T {
  const item = list[i];
  if (item === undefined) throw new RangeError(`no item ${i} in a list of ${list.length}`);
  return item;
}

const pick = <T>(rand: () => number, list: readonly T[]): T => at(list, Math.floor(rand() * list.length));
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The largest count {@link fakeRow} supports with unique ID numbers. */
export const MAX_FAKE = 1_000_000 * PROVINCE_CODES.length;

/** The `index`-th fake citizen (0-based). */
export function fakeRow(index: number): FakeRow {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_FAKE) throw new RangeError(`fake index out of range: ${index}`);
  const rand = mulberry32(index * 2654435761);
  const low = index % 1_000_000;
  const block = Math.floor(index / 1_000_000);
  // 7919 is prime to 10^6, so this permutes the serial part; the province changes with the block.
  const serial = (low * 7919) % 1_000_000;
  const province = at(PROVINCE_CODES, (block + low) % PROVINCE_CODES.length);
  const year = 1940 + Math.floor(rand() * 70);
  const month = 1 + Math.floor(rand() * 12);
  const day = 1 + Math.floor(rand() * 28);
  const female = rand() < 0.5;
  const century = Math.floor(year / 100) - 19;
  const genderDigit = century * 2 + (female ? 1 : 0);
  const id = `${province}${genderDigit}${pad(year % 100, 2)}${pad(serial, 6)}`;
  const phone = `0${MOBILE_PREFIXES[index % MOBILE_PREFIXES.length]}${pad(Math.floor(index / MOBILE_PREFIXES.length), 7)}`;
  const hasCard = year <= 2008 && rand() < 0.9;
  const issueYear = Math.min(2025, Math.max(year + 15, 2016 + Math.floor(rand() * 10)));
  const city = pick(rand, CITIES);
  const address = `Số ${1 + Math.floor(rand() * 200)} ${pick(rand, STREETS)}, ${city}`;
  return {
    id_number: id,
    full_name: `${pick(rand, FAMILY)} ${female ? 'Thị' : pick(rand, MIDDLE)} ${pick(rand, GIVEN)}`,
    date_of_birth: `${year}-${pad(month, 2)}-${pad(day, 2)}`,
    sex: female ? 'Nữ' : 'Nam',
    phone,
    birth_registration_place: city,
    hometown: pick(rand, CITIES),
    ethnicity: 'Kinh',
    religion: 'Không',
    nationality: 'Việt Nam',
    permanent_address: address,
    temporary_address: rand() < 0.2 ? `Số ${1 + Math.floor(rand() * 99)} ${pick(rand, STREETS)}, ${pick(rand, CITIES)}` : '',
    current_address: address,
    card_issued_on: hasCard ? `${issueYear}-${pad(month, 2)}-${pad(day, 2)}` : '',
    card_expires_on: '',
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The CSV text (header included) of fake rows `[0, count)`, in chunks for streaming to a file. */
export function* fakeCsvChunks(count: number, chunkRows = 10_000): Generator<string> {
  yield `${RECORD_FIELDS.join(',')}\n`;
  for (let start = 0; start < count; start += chunkRows) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(count, start + chunkRows); i++) {
      const row = fakeRow(i);
      lines.push(RECORD_FIELDS.map((c) => csvField(row[c])).join(','));
    }
    yield `${lines.join('\n')}\n`;
  }
}
