/**
 * `npm run sms -- --from 0912345678 "TT <id>"`: the SMS simulator. Signs a request exactly as
 * Twilio does, posts it to the running server and prints the reply, its encoding and segments.
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '../errors.js';
import { answerHelp, runCli, UsageError } from './run.js';

const USAGE = 'usage: npm run sms -- --from <phone> "<message>" [--url http://localhost:3000] [--sid SM...]';

// Help answers before the heavy modules load.
answerHelp(USAGE);
const { normalizeSender, normalizeVietnameseMobile } = await import('../citizens/phone.js');
const { DEMO_AUTH_TOKEN, loadConfig } = await import('../config.js');
const { countSegments } = await import('../sms/gsm7.js');
const { inboundParams, signForm } = await import('../sms/twilioFixtures.js');
const { twimlMessageText } = await import('../sms/twiml.js');

function senderE164(from: string): string {
  const vn = normalizeVietnameseMobile(from);
  if (vn.ok) return vn.value;
  const any = normalizeSender(from);
  if (any) return any.e164;
  return from; // Sent as is: the server answers a non-number with no reply.
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      url: { type: 'string' },
      sid: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.from) throw new UsageError(`--from is required; ${USAGE}`);
  if (positionals.length > 1) throw new UsageError(`put the message in quotes; ${USAGE}`);
  const config = loadConfig(process.env, { forTool: true });
  const demoToken = config.authTokens.current === DEMO_AUTH_TOKEN;
  const server = (values.url ?? `http://localhost:${config.port || 3000}`).replace(/\/+$/, '');
  const publicBase = config.publicBaseUrl ?? server;
  const extra: Record<string, string> = {};
  if (values.sid) extra.MessageSid = values.sid;
  if (config.accountSid) extra.AccountSid = config.accountSid;
  const params = inboundParams(senderE164(values.from), positionals[0] ?? '', extra);
  const signedUrl = `${publicBase}/sms`;
  const { body, signature } = signForm(config.authTokens.current, signedUrl, params);
  let response: Response;
  try {
    response = await fetch(`${server}/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body,
    });
  } catch (err) {
    // fetch's TypeError says only "fetch failed"; its cause names the reason (ECONNREFUSED...).
    const reason = err instanceof Error && err.cause instanceof Error ? String(err.cause) : errorMessage(err);
    throw new UsageError(`cannot reach ${server}: is the server running (npm start)? (${reason})`);
  }
  const text = await response.text();
  if (!response.ok) {
    // The server's reason, and what was signed: a 403 means the server checks another URL or token.
    console.error(`refused: HTTP ${response.status}: ${text.trim()}`);
    console.error(
      `signed for ${signedUrl} with ${demoToken ? 'the demo token' : 'TWILIO_AUTH_TOKEN'}; posted to ${server}/sms (the server must have the same PUBLIC_BASE_URL and token)`,
    );
    return 1;
  }
  const reply = twimlMessageText(text);
  if (reply === undefined) {
    console.log('(no reply: the server answered with an empty <Response/>)');
    return 0;
  }
  const { encoding, segments, units } = countSegments(reply);
  console.log(reply);
  console.log(`--- ${encoding}, ${units} characters, ${segments} segment${segments === 1 ? '' : 's'}`);
  return 0;
}

await runCli(main, { script: 'sms', options: ['from', 'url', 'sid'] });
