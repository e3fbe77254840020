// Fictional citizens for tests. None of these people exist.
import type { Citizen } from '../../src/citizens/types.js';

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
