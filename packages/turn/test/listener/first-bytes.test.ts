import { describe, expect, it } from 'vitest';
import { classifyFirstBytes } from '../../src/listener/first-bytes.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('classifyFirstBytes', () => {
  it.each([
    [[], 'need-more'],
    [[0x00, 0x03], 'turn'], // Allocate request
    [[0x01, 0x01], 'turn'], // Binding success
    [[0x40, 0x00, 0x00, 0x04], 'turn'], // ChannelData 0x4000
    [[0x4e, 0x20], 'turn'], // ChannelData 0x4E20, no HTTP method starts with 'N'
    [[0x16, 0x03, 0x01], 'tls'],
    [[0x80, 0x00], 'unknown'], // RTP
    [[0x50, 0x00], 'unknown'], // 'P' then not an HTTP method
    [[0xff], 'unknown'],
  ] as const)('%j is %s', (bytes, kind) => {
    expect(classifyFirstBytes(Uint8Array.from(bytes))).toBe(kind);
  });

  it.each([
    ['GET ', 'http'],
    ['GET', 'need-more'],
    ['G', 'need-more'],
    ['GEX', 'turn'], // 0x47 0x45: ChannelData 0x4745 after all
    ['OPTIONS ', 'http'],
    ['OPTION', 'need-more'],
    ['POST /', 'http'],
    ['PUT /', 'http'],
    ['HEAD /', 'http'],
    ['get /', 'unknown'], // methods are case-sensitive (RFC 9110 §9.1)
  ] as const)('%j is %s', (text, kind) => {
    expect(classifyFirstBytes(ascii(text))).toBe(kind);
  });
});
