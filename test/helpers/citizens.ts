// Fictional citizens for tests. None of these people exist.
import type { Citizen } from '../../src/citizens/types.js';
import type { AuditEntry } from '../../src/audit/types.js';

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
