/**
 * Fixtures shared by the tests beside the code and those in test/: a fictional citizen and an
 * audit row. None of these people exist. Only tests (and the benchmarks) may import src/testing/.
 */
import type { AuditEntry } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';

/** A valid record of a fictional citizen (born 14 May 1999, phone +84912345678), with overrides. */
export function citizen(overrides: Partial<Citizen> = {}): Citizen {
  return {
    idNumber: '001099054321',
    fullName: 'Nguyễn Văn Thử',
    dateOfBirth: '1999-05-14',
    sex: 'M',
    phone: '+84912345678',
    birthRegistrationPlace: 'Hà Nội',
    hometown: 'Nam Định',
    ethnicity: 'Kinh',
    religion: 'Không',
    nationality: 'Việt Nam',
    permanentAddress: 'Số 1 Phố Thử, Hà Nội',
    temporaryAddress: null,
    currentAddress: 'Số 1 Phố Thử, Hà Nội',
    cardIssuedOn: '2021-04-01',
    cardExpiresOn: null,
    ...overrides,
  };
}

/** An audit row of a served TT lookup by the default citizen's phone, with overrides. */
export function auditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: Date.UTC(2026, 10, 27, 3, 0, 0),
    messageSid: 'SM0001',
    sender: '+84912345678',
    command: 'TT',
    targetId: '001099054321',
    outcome: 'served',
    segments: 2,
    ...overrides,
  };
}
