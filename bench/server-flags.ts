/**
 * Node flags of the production server, the same as `npm start` and the systemd unit in
 * docs/deploy.md: a modest young generation and a capped old generation keep RSS near 125 MiB
 * under load (without them V8 lets the heap grow to about 190 MiB before collecting).
 * `BENCH_SERVER_FLAGS` replaces them for one run, for example to add `--trace-gc`.
 */
export const SERVER_NODE_FLAGS: readonly string[] = (process.env.BENCH_SERVER_FLAGS ?? '--max-semi-space-size=8 --max-old-space-size=128')
  .split(' ')
  .filter(Boolean);
