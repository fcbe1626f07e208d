import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { decodeMessage, encodeMessage, longTermKey, StunClient, verifyMessageIntegrity, verifyMessageIntegritySha256, verifyFingerprint } from '../../src/index.js';

/* StunClient signs requests when given keys (the TURN client's long-term credentials use it). */
describe('StunClient request integrity', () => {
  it('appends MESSAGE-INTEGRITY and/or MESSAGE-INTEGRITY-SHA256 before FINGERPRINT', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock, seed: 5 });
    const serverHost = vnet.createHost(vnet.internet, { ipv4: '203.0.113.1' });
    const clientHost = vnet.createHost(vnet.internet, { ipv4: '203.0.113.50' });
    const server = await serverHost.network.bindUdp({ family: 4, address: '203.0.113.1', port: 3478 });
    const socket = await clientHost.network.bindUdp({ family: 4 });
    const md5 = longTermKey('alice', 'realm', 'secret');
    const sha = createHash('sha256').update('alice:realm:secret').digest();
    const seen: { mi: boolean | undefined; mi256: boolean | undefined; fp: boolean }[] = [];
    server.onMessage((data, from) => {
      const m = decodeMessage(new Uint8Array(data));
      if (!m.ok) return;
      seen.push({ mi: verifyMessageIntegrity(m.value, md5), mi256: verifyMessageIntegritySha256(m.value, sha), fp: verifyFingerprint(m.value) === true });
      server.send(encodeMessage({ method: 1, class: 'success', transactionId: m.value.transactionId }), from);
    });
    const client = new StunClient({}, { socket, clock });
    const to = { address: '203.0.113.1', port: 3478 };
    await clock.runUntil(client.request(to, { integrity: { integrityKey: md5 } }));
    await clock.runUntil(client.request(to, { integrity: { integritySha256Key: sha } }));
    await clock.runUntil(client.request(to, { integrity: { integrityKey: md5, integritySha256Key: sha } }));
    await clock.runUntil(client.request(to));
    expect(seen).toEqual([
      { mi: true, mi256: undefined, fp: true },
      { mi: undefined, mi256: true, fp: true },
      { mi: true, mi256: true, fp: true },
      { mi: undefined, mi256: undefined, fp: true },
    ]);
    client.close();
    await vnet.close();
  });
});
