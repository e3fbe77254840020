// The README against the code: the quick start keeps exactly two commands, and the opt-out and
// opt-in words it lists are exactly the ones the parser takes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../src/sms/parser.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The backticked words of the Commands table row whose answer starts with `answer`. */
function rowWords(answer: string): string[] {
  const row = README.split('\n').find((line) => line.startsWith('|') && line.includes(`| ${answer}`));
  return [...(row?.split('|')[1] ?? '').matchAll(/`([A-Z]+)`/g)].map((m) => m[1] ?? '');
}

describe('README', () => {
  it('has a quick start of exactly two commands', () => {
    const quickStart = README.split('## Quick start')[1]?.split('```sh\n')[1]?.split('```')[0];
    expect(quickStart?.trim().split('\n')).toEqual(['npm install && npm start', 'npm test']);
  });

  it('lists every opt-out and opt-in word, and each one is one', () => {
    const out = rowWords('No more replies');
    const inWords = rowWords('Replies again');
    expect(out).toEqual(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
    expect(inWords).toEqual(['START', 'YES', 'UNSTOP']);
    for (const word of out) expect(parseMessage(word).kind, word).toBe('opt_out');
    for (const word of inWords) expect(parseMessage(word).kind, word).toBe('opt_in');
    // Words close to them are not: the list above is the parser's whole list.
    for (const word of ['STOPP', 'OPT OUT', 'UNSUBSCRIBED', 'NO']) expect(parseMessage(word).kind, word).not.toMatch(/^opt_/);
  });

  it('names exit code 3, admin stats and restore, and the simulator options --url and --sid', () => {
    expect(README).toContain('3 an unexpected error');
    expect(README).toContain('npm run admin -- stats');
    expect(README).toContain('npm run admin -- restore');
    expect(README).toMatch(/--url http/);
    expect(README).toMatch(/--sid SM/);
  });
});
