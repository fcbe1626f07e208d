import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Identity } from '@natkit/identity';
import { connectRendezvous, type NatProfile } from '@natkit/rendezvous';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../bin/natkit.js');
const NAT: NatProfile = { ipv4: null, ipv6: null };

describe('natkit serve: the rendezvous on the TCP port', () => {
  it('registers two peers over WebSocket on the STUN/TURN port, hands out relay credentials minted by the relay and introduces them', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      let out = '';
      const url = await new Promise<string>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no rendezvous line: ${out}`)), 10_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /the rendezvous \(WebSocket, natkit-rendezvous\.v\d+\) there at (ws:\/\/127\.0\.0\.1:\d+\/rendezvous)/.exec(out);
          if (m?.[1] !== undefined) {
            clearTimeout(timer);
            ok(m[1]);
          }
        });
      });
      const port = Number(/:(\d+)\//.exec(url)?.[1]);
      expect(out).toMatch(new RegExp(`STUN .* on UDP 127\\.0\\.0\\.1:${port}\\b`)); // one port number
      const alice = await connectRendezvous({ url, identity: Identity.fromSeed(randomBytes(32)), nat: NAT, candidates: [] });
      const bob = await connectRendezvous({ url, identity: Identity.fromSeed(randomBytes(32)), nat: NAT, candidates: [{ type: 'host', address: '127.0.0.1', port: 40000 }] });
      try {
        expect(alice.observed.address).toBe('127.0.0.1');
        expect(alice.relay?.username).toMatch(new RegExp(`^\\d+:${alice.peerId}$`));
        expect(alice.relay?.ttl).toBe(600);
        const intro = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(5000) });
        expect(intro.peer.peerId).toBe(bob.peerId);
        expect(intro.peer.candidates).toEqual([{ type: 'host', address: '127.0.0.1', port: 40000 }]);
      } finally {
        await alice.close();
        await bob.close();
      }
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
