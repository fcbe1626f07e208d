/** parseSendBuffers against `ss -Hnuam` output as printed in the lab (relay-congested-client.test.ts). */
import { describe, expect, it } from 'vitest';
import { parseSendBuffers } from './harness/index.js';

describe('ss -Hnuam send-buffer parser', () => {
  it('pairs each socket with its skmem line (t: charged, tb: SO_SNDBUF)', () => {
    const text = [
      'UNCONN 0      0      203.0.113.1:3478 0.0.0.0:*',
      '\t skmem:(r0,rb4194304,t206720,tb212992,f3968,w0,o0,bl0,d0) ',
      'UNCONN 0      0      203.0.113.1:51070 0.0.0.0:*',
      '\t skmem:(r0,rb4194304,t0,tb212992,f4096,w0,o0,bl0,d0) ',
      '',
    ].join('\n');
    expect(parseSendBuffers(text)).toEqual([
      { local: '203.0.113.1:3478', wmem: 206720, sndbuf: 212992 },
      { local: '203.0.113.1:51070', wmem: 0, sndbuf: 212992 },
    ]);
  });

  it('returns nothing for empty or unrelated output', () => {
    expect(parseSendBuffers('')).toEqual([]);
    expect(parseSendBuffers('\t skmem:(r0,rb1,t5,tb9,f0,w0,o0,bl0,d0)\nnonsense')).toEqual([]);
  });
});
