/**
 * The columns of the `citizens` table, the same in every backend, and the mapping between a row
 * and a {@link Citizen}.
 */
import { RECORD_FIELDS, type RecordField } from '../citizens/record.js';
import type { Citizen } from '../citizens/types.js';

/** One column per record field, named as the field (the domain's list, in its order). */
export const CITIZEN_COLUMNS = RECORD_FIELDS;

/** A row of `citizens`: the schema makes the first five columns NOT NULL and `sex` 'M' or 'F'. */
export type CitizenRow = Record<RecordField, string | null> & {
  id_number: string;
  full_name: string;
  date_of_birth: string;
  sex: Citizen['sex'];
  phone: string;
};

/** The record a row holds. */
export function toCitizen(r: CitizenRow): Citizen {
  return {
    idNumber: r.id_number,
    fullName: r.full_name,
    dateOfBirth: r.date_of_birth,
    sex: r.sex,
    phone: r.phone,
    birthRegistrationPlace: r.birth_registration_place,
    hometown: r.hometown,
    ethnicity: r.ethnicity,
    religion: r.religion,
    nationality: r.nationality,
    permanentAddress: r.permanent_address,
    temporaryAddress: r.temporary_address,
    currentAddress: r.current_address,
    cardIssuedOn: r.card_issued_on,
    cardExpiresOn: r.card_expires_on,
  };
}

/** The values of a row in {@link CITIZEN_COLUMNS} order. */
export function citizenValues(c: Citizen): (string | null)[] {
  return [
    c.idNumber,
    c.fullName,
    c.dateOfBirth,
    c.sex,
    c.phone,
    c.birthRegistrationPlace,
    c.hometown,
    c.ethnicity,
    c.religion,
    c.nationality,
    c.permanentAddress,
    c.temporaryAddress,
    c.currentAddress,
    c.cardIssuedOn,
    c.cardExpiresOn,
  ];
}
