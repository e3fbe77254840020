/**
 * The bare Express 5 handler the webhook benchmark compares the real server with:
 * `PORT=0 node dist/bench/bare-server.js`. It parses the same form as the real webhook
 * (`express.urlencoded`, 64 KiB limit) and answers every `POST /sms` with one fixed TwiML reply
 * of the size of a real lookup reply: no signature check, no database, no logging, no metrics.
 * Logs one JSON line `{"msg":"listening","port":N}` when ready; stops on SIGTERM or SIGINT.
 */
import express from 'express';
import { BARE_TWIML } from './bare-twiml.js';
import { serve } from './serve.js';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/sms', express.urlencoded({ extended: false, limit: '64kb' }), (_req, res) => {
  res.status(200).type('text/xml').send(BARE_TWIML);
});

serve(app);
