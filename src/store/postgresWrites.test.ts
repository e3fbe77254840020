import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from './postgresWrites.js';

/** A stream that records how many chunks each of its system-call-like writes carried, and the bytes. */
function recorder() {
  const calls: number[] = [];
  let bytes = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      calls.push(1);
      bytes += chunk.toString();
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.length);
      bytes += chunks.map(({ chunk }) => String(chunk)).join('');
      done();
    },
  });
  return { stream, calls, bytes: () => bytes };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesceWrites', () => {
  it('sends the writes of one turn of the event loop together, in order, and each turn on its own', async () => {
    const r = recorder();
    coalesceWrites(r.stream);
    for (const part of ['Bind', 'Describe', 'Execute', 'Sync']) r.stream.write(part);
    await nextTurn();
    r.stream.write('Bind2');
    r.stream.write('Sync2');
    await nextTurn();
    expect(r.calls).toEqual([4, 2]);
    expect(r.bytes()).toBe('BindDescribeExecuteSyncBind2Sync2');
  });

  // The premise, checked on Node itself: when Node gathers a turn's writes by itself, this fails
  // and coalesceWrites is no longer needed.
  it('without it, a stream sends the first write of a turn alone', async () => {
    const r = recorder();
    for (const part of ['Bind', 'Describe', 'Execute', 'Sync']) r.stream.write(part);
    await nextTurn();
    expect(r.calls[0]).toBe(1);
    expect(r.calls.length).toBeGreaterThan(1);
  });
});
