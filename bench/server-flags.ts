/**
 * Node flags of the production server, the same as `npm start` and the systemd unit in
 * docs/deploy.md: a small young generation and a capped old generation keep RSS near 110 MiB
 * under load (without them V8 lets the heap grow to about 190 MiB before collecting).
 */
export const SERVER_NODE_FLAGS: readonly string[] = (process.env.BENCH_SERVER_FLAGS ?? '--max-semi-space-size=2 --max-old-space-size=128')
  .split(' ')
  .filter(Boolean);
