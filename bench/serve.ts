/**
 * How the benchmark's own servers (bare, floor) listen and stop: on `PORT` (0: the kernel's
 * choice) and `HOST`, one JSON line `{"msg":"listening","port":N}` when ready, and a stop on
 * SIGTERM or SIGINT that closes idle connections and exits within 2 s.
 */
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export function serve(app: Express): void {
  const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
