import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop } from '../lab/harness/index.js';
import {
  relayRange,
  runUclient,
  startEchoPeer,
  startNatkitRelay,
  uclientPassed,
  type ChildHandle,
  type UclientRun,
} from './natkit-serve-relay.js';

/*
 * coturn's turnutils_uclient (Debian coturn 4.6.1) against `natkit serve` over UDP on loopback,
 * with the command lines of relay.md §4.1. Pass: exit 0 and "Total lost packets 0". coturn 4.6's
 * uclient picks channel numbers up to 0x7FFF (RFC 5766), hence --rfc5766-channel-numbers.
 */
const SECRET = 'uclient-rest-secret';

describeInterop('turnutils_uclient against natkit serve (UDP)', { tools: ['turnutils_uclient', 'turnutils_peer'] }, () => {
  let serve: ChildHandle;
  let peer: ChildHandle;
  const explain = (r: UclientRun): string => `uclient exit ${r.code}\n${r.out.slice(-2500)}\n--- natkit serve ---\n${serve.output().slice(-2000)}`;
  const base = (): string[] => ['-p', String(serve.port)];
  const echo = (): string[] => ['-e', '127.0.0.1', '-r', String(peer.port), '-X'];
  const alice = ['-u', 'alice', '-w', 'secret123'];

  beforeAll(async () => {
    serve = await startNatkitRelay([
      '--user', 'alice:secret123', '--auth-secret', 'old-secret', '--auth-secret', SECRET, '--realm', 'natkit.test',
      '--relay-ports', relayRange(), '--allow-peer', '127.0.0.0/8', '--rfc5766-channel-numbers',
    ]);
    peer = await startEchoPeer();
  }, 30_000);
  afterAll(async () => {
    await Promise.all([serve?.stop(), peer?.stop()]);
  });

  const passes = async (args: string[]): Promise<void> => {
    const r = await runUclient(args);
    expect(uclientPassed(r), explain(r)).toBe(true);
  };

  it('ChannelData with RTP/RTCP pairs (EVEN-PORT R=1 + RESERVATION-TOKEN), 4 clients', async () => {
    await passes([...base(), ...echo(), ...alice, '-n', '200', '-m', '4', '-l', '120', '-z', '5']);
  }, 90_000);

  it('Send/Data indications (-s)', async () => {
    await passes([...base(), ...echo(), '-s', '-c', ...alice, '-n', '200', '-m', '4', '-l', '120', '-z', '5']);
  }, 90_000);

  it('relay to relay (-y)', async () => {
    await passes([...base(), '-y', '-c', ...alice, '-n', '200', '-m', '4', '-l', '120', '-z', '5']);
  }, 90_000);

  it('DONT-FRAGMENT and padded ChannelData over UDP (-D -g)', async () => {
    await passes([...base(), '-D', '-g', ...echo(), ...alice, '-n', '100', '-m', '2', '-l', '171']);
  }, 90_000);

  it('1200-byte payloads', async () => {
    await passes([...base(), ...echo(), ...alice, '-n', '100', '-m', '2', '-l', '1200']);
  }, 90_000);

  it('TURN REST credentials (-W), the second of two secrets', async () => {
    await passes([...base(), ...echo(), '-W', SECRET, '-u', 'bob', '-n', '100', '-m', '2', '-l', '120', '-z', '5']);
  }, 90_000);

  it('-N: a second channel number for a peer already bound gets 400, as from coturn', async () => {
    const r = await runUclient([...base(), '-N', ...echo(), ...alice, '-n', '20', '-m', '1']);
    expect(r.code, explain(r)).not.toBe(0);
    expect(r.out, explain(r)).toMatch(/channel bind: error 400/);
  }, 90_000);

  it('a wrong password is refused', async () => {
    const r = await runUclient([...base(), ...echo(), '-u', 'alice', '-w', 'wrong-password', '-n', '20', '-m', '1']);
    expect(r.code, explain(r)).toBe(255);
    expect(r.out, explain(r)).toMatch(/Cannot complete Allocation/);
    expect(r.out).not.toMatch(/Total lost packets 0 \(/);
  }, 90_000);
});

describeInterop('turnutils_uclient against natkit serve (UDP over IPv6, IPv6 relay)', { tools: ['turnutils_uclient', 'turnutils_peer'], ipv6: true }, () => {
  let serve: ChildHandle;
  let peer: ChildHandle;
  beforeAll(async () => {
    serve = await startNatkitRelay(['--user', 'alice:secret123', '--relay-ports', relayRange(), '--allow-peer', '::1/128', '--rfc5766-channel-numbers'], '::1');
    peer = await startEchoPeer('::1');
  }, 30_000);
  afterAll(async () => {
    await Promise.all([serve?.stop(), peer?.stop()]);
  });

  it('channels with RTP/RTCP pairs, REQUESTED-ADDRESS-FAMILY IPv6 (-x)', async () => {
    const r = await runUclient(['-p', String(serve.port), '-x', '-e', '::1', '-r', String(peer.port), '-X', '-u', 'alice', '-w', 'secret123', '-n', '100', '-m', '2', '-l', '120', '-z', '5'], '::1');
    expect(uclientPassed(r), `uclient exit ${r.code}\n${r.out.slice(-2500)}\n--- natkit serve ---\n${serve.output().slice(-2000)}`).toBe(true);
  }, 90_000);
});
