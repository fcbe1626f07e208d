import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IkInitiator, PROTOCOL_NAME, readIkMessage1 } from '../../src/session/handshake-ik.js';
import { decrypt, dhKeyPairFromPrivate, encrypt, nonceOf } from '../../src/session/noise-crypto.js';

interface Vector {
  _from: string;
  protocol_name: string;
  init_prologue: string;
  init_static: string;
  init_ephemeral: string;
  init_remote_static: string;
  resp_prologue: string;
  resp_static: string;
  resp_ephemeral: string;
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/noise-ik-25519-chachapoly-blake2s.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe(`${PROTOCOL_NAME} test vectors`, () => {
  it('the fixture holds the cacophony and snow vectors', () => {
    expect(fixture.vectors.map((v) => v._from)).toEqual(['cacophony', 'snow']);
  });

  for (const v of fixture.vectors) {
    it(`reproduces the ${v._from} vector byte for byte (handshake and transport)`, () => {
      expect(v.protocol_name).toBe(PROTOCOL_NAME);
      const [m1, m2, ...transport] = v.messages;
      const initiatorStatic = dhKeyPairFromPrivate(hex(v.init_static));
      const responderStatic = dhKeyPairFromPrivate(hex(v.resp_static));
      expect(toHex(responderStatic.publicKey)).toBe(v.init_remote_static);

      const initiator = IkInitiator.write(
        { prologue: hex(v.init_prologue), s: initiatorStatic, e: dhKeyPairFromPrivate(hex(v.init_ephemeral)), rs: hex(v.init_remote_static) },
        hex(m1!.payload),
      )!;
      expect(toHex(initiator.message1)).toBe(m1!.ciphertext);

      const read = readIkMessage1(hex(v.resp_prologue), responderStatic, hex(m1!.ciphertext))!;
      expect(toHex(read.payload)).toBe(m1!.payload);
      expect(read.rs).toEqual(initiatorStatic.publicKey);
      const reply = read.respond(dhKeyPairFromPrivate(hex(v.resp_ephemeral)), hex(m2!.payload))!;
      expect(toHex(reply.message2)).toBe(m2!.ciphertext);

      const done = initiator.read(hex(m2!.ciphertext))!;
      expect(toHex(done.payload)).toBe(m2!.payload);
      expect(done.keys).toEqual(reply.keys);
      if (v.handshake_hash !== undefined) expect(toHex(done.keys.handshakeHash)).toBe(v.handshake_hash);

      // Transport: messages alternate initiator -> responder and back, each direction counting nonces from 0.
      transport.forEach((m, i) => {
        const key = i % 2 === 0 ? done.keys.initiatorToResponder : done.keys.responderToInitiator;
        const nonce = nonceOf(Math.floor(i / 2));
        expect(toHex(encrypt(key, nonce, new Uint8Array(0), hex(m.payload)))).toBe(m.ciphertext);
        expect(toHex(decrypt(key, nonce, new Uint8Array(0), hex(m.ciphertext))!)).toBe(m.payload);
      });
    });
  }

  it('a message 1 for another responder, or with any bit flipped, is refused', () => {
    const v = fixture.vectors[0]!;
    const responder = dhKeyPairFromPrivate(hex(v.resp_static));
    const other = dhKeyPairFromPrivate(hex(v.init_ephemeral));
    const m1 = hex(v.messages[0]!.ciphertext);
    expect(readIkMessage1(hex(v.resp_prologue), other, m1)).toBeUndefined();
    expect(readIkMessage1(Buffer.from('another prologue'), responder, m1)).toBeUndefined();
    for (let bit = 0; bit < m1.length * 8; bit += 5) {
      const bad = Buffer.from(m1);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      // Flipping bit 255 of e changes nothing (X25519 ignores it, RFC 7748 §5) but the transcript hash.
      expect(readIkMessage1(hex(v.resp_prologue), responder, bad), `bit ${bit}`).toBeUndefined();
    }
  });
});
