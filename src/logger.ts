/**
 * Structured JSON logs with pino. Personal data never goes in: no phone number, ID number, message
 * body or record field. Where a log line needs to tell senders apart it carries a keyed hash.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the service logger. The redact list is a safety net: code never passes these fields,
 * and if it ever did, pino removes them before the line is written.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      // The service logs `err` as a plain { type, code, message } object, never an Error. pino's
      // standard serializer takes any object with a message for an Error: it would replace `type`
      // with the constructor's name ("Object") and add an empty `stack`. Written as given instead.
      serializers: { err: (err: unknown) => err },
      redact: {
        paths: [
          'body',
          'req.body',
          'from',
          'From',
          'to',
          'To',
          'phone',
          'sender',
          'idNumber',
          'id_number',
          'citizen',
          'record',
          'fields',
          'authToken',
          'token',
          'headers',
          'req.headers',
        ],
        remove: true,
      },
    },
    destination,
  );
}

/** A keyed hash of a personal value, for telling log lines apart without revealing the value. */
export function createHasher(key: string | undefined): (value: string) => string {
  const secret = key ?? randomBytes(32).toString('hex');
  return (value) => createHmac('sha256', secret).update(value).digest('base64url').slice(0, 16);
}
