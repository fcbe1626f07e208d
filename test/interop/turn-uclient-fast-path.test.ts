import { channelForwardingStatus } from '@natkit/net';
import { expect, it } from 'vitest';
import { describeInterop } from '../lab/harness/index.js';
import { relayRange, runUclient, startEchoPeer, startNatkitRelay, uclientPassed, type ChildHandle } from './natkit-serve-relay.js';

/*
 * coturn's turnutils_uclient against `natkit serve` with the relay fast path (the batched-UDP
 * addon relays bound channels itself): the run passes (exit 0, no loss) AND the server's stop line
 * shows that the ChannelData went through the fast path, relay to relay (-y) included. Where the
 * addon is not built the server says the fast path is off and every packet goes through JS.
 */
const fast = channelForwardingStatus().available;

/** The relay's stop line as JSON (natkit serve prints it after SIGTERM). */
function relayStats(output: string): { packetsToPeers: number; packetsToClients: number; fastPath: { packetsToPeers: number; packetsToClients: number; drops: number } } {
  const line = /relay stopped; (\{.*\})/.exec(output)?.[1];
  if (line === undefined) throw new Error(`no relay stop line in:\n${output.slice(-2000)}`);
  return JSON.parse(line) as ReturnType<typeof relayStats>;
}

describeInterop(`turnutils_uclient through natkit serve's relay fast path (${fast ? 'on' : 'off'})`, { tools: ['turnutils_uclient', 'turnutils_peer'] }, () => {
  const cases: [string, (peerPort: number) => string[]][] = [
    ['ChannelData to an echo peer, 100-byte payloads', (p) => ['-e', '127.0.0.1', '-r', String(p), '-X', '-n', '300', '-m', '4', '-l', '100', '-z', '5']],
    ['relay to relay (-y), 1200-byte payloads', () => ['-y', '-c', '-n', '200', '-m', '2', '-l', '1200', '-z', '5']],
  ];
  it.each(cases)('%s: no loss, and the fast path carried the ChannelData', async (_name, args) => {
    let serve: ChildHandle | undefined;
    let peer: ChildHandle | undefined;
    try {
      serve = await startNatkitRelay(['--user', 'alice:secret123', '--relay-ports', relayRange(), '--allow-peer', '127.0.0.0/8', '--rfc5766-channel-numbers']);
      expect(serve.output()).toMatch(fast ? /relay fast path on/ : /relay fast path off/);
      peer = await startEchoPeer();
      const r = await runUclient(['-p', String(serve.port), '-u', 'alice', '-w', 'secret123', ...args(peer.port)]);
      expect(uclientPassed(r), r.out.slice(-2000)).toBe(true);
      await serve.stop();
      const stats = relayStats(serve.output());
      expect(stats.packetsToPeers).toBeGreaterThan(0);
      if (fast) {
        // Each run's ChannelData (most of its packets) went through the addon, none dropped.
        expect(stats.fastPath.packetsToPeers).toBeGreaterThan(stats.packetsToPeers / 2);
        expect(stats.fastPath.packetsToClients).toBeGreaterThan(stats.packetsToClients / 2);
        expect(stats.fastPath.drops).toBe(0);
      } else {
        expect(stats.fastPath.packetsToPeers).toBe(0);
      }
    } finally {
      await Promise.all([serve?.stop(), peer?.stop()]);
    }
  }, 90_000);
});
