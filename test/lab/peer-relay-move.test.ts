/**
 * A running relayed connection outlives a TURN re-allocation, on real NATs (issue 7, "survival of
 * NAT rebinding"; packages/peer/test/connection/relay-moved.test.ts proves the same over vnet).
 * Two library peers (peer-relay-move.peer.mjs, run in their host namespaces) behind two symmetric
 * random NATs, a pair that only the relay connects, exchange a datagram every 50 ms each way.
 * Then the listener's NAT forgets its UDP mappings to the server's port (conntrack delete at that
 * NAT): its next packets leave from a new public port, the server knows its allocation only by
 * the old 5-tuple, and what the relay sends there is dropped at the NAT. The listener's relay
 * keepalive (1 s here, 25 s by default) sees the new mapping, it allocates again, and the
 * connector learns the new relayed address: the same connection carries datagrams both ways
 * again within a bounded time.
 *
 * Which notice carries the new address: a connector without a relay of its own sends from its
 * socket to the listener's relayed address, and its symmetric NAT lets in only what comes from
 * there, so the listener's `relay-moved` (sent from the new allocation) cannot reach it: the
 * rendezvous' `notify-relay` / `peer-relay` does. That case fails when the notices are disabled.
 * Two peers with relays go relay to relay and hear each other's new relayed address in the data
 * itself; that case proves the recovery, not the notices.
 */
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { createLab, describeLab, startPeerServer, type Lab, type LabProcess, type PeerServer } from './harness/index.js';

const PEER_SCRIPT = resolve(import.meta.dirname, 'peer-relay-move.peer.mjs');
const KEEPALIVE_MS = 1000;
/** From the flush to the first datagram of each direction sent after it and delivered: keepalive, Allocate, announcement, with room for a loaded machine. */
const RECOVERY_BOUND_MS = 8000;

type PeerLine =
  | { type: 'ready'; peer: string; relayed: string | null }
  | { type: 'connection'; n: number; path: string }
  | { type: 'relayed'; relayed: string | null; at: number }
  | { type: 'tx'; seq: number; at: number }
  | { type: 'rx'; seq: number; at: number }
  | { type: 'close'; reason: string; error: string | null }
  | { type: 'stats'; path: string; strategy: string; pathSwitches: number; route: { kind: string; relay?: { address: string; port: number } } };

function lines(p: LabProcess): PeerLine[] {
  return p.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as PeerLine);
}

const ofType = <T extends PeerLine['type']>(p: LabProcess, type: T): Extract<PeerLine, { type: T }>[] => lines(p).filter((l): l is Extract<PeerLine, { type: T }> => l.type === type);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Delivery of `from`'s datagrams at `to` after `t`: when the first one sent after `t` arrived (ms
 * after `t`, null: none did), and the longest silence at `to` from 2 s before `t` to now.
 */
function delivery(from: LabProcess, to: LabProcess, t: number): { resumedMs: number | null; longestGapMs: number } {
  const sentAt = new Map(ofType(from, 'tx').map((l) => [l.seq, l.at]));
  const rx = ofType(to, 'rx');
  const first = rx.find((l) => (sentAt.get(l.seq) ?? 0) > t);
  const arrivals = [...rx.map((l) => l.at).filter((at) => at > t - 2000), Date.now()];
  let longestGapMs = 0;
  for (let i = 1; i < arrivals.length; i++) longestGapMs = Math.max(longestGapMs, arrivals[i]! - arrivals[i - 1]!);
  return { resumedMs: first === undefined ? null : first.at - t, longestGapMs };
}

interface LibraryPeer {
  readonly process: LabProcess;
  readonly ready: Extract<PeerLine, { type: 'ready' }>;
}

/** peer-relay-move.peer.mjs in `site`'s host: listens, or connects to `remote`; resolves once registered. */
async function startPeer(lab: Lab, site: string, server: string, relay: 'udp' | 'off', remote?: string): Promise<LibraryPeer> {
  const [ip, port] = server.split(':');
  const p = await lab.spawn(lab.hosts[site]!.ns, [process.execPath, PEER_SCRIPT, ip!, port!, String(KEEPALIVE_MS), relay, ...(remote === undefined ? [] : [remote])]);
  await p.waitForOutput(/"type":"ready"/, 20_000).catch((e: unknown) => {
    throw new Error(`peer in ${site} did not register: ${String(e)}\n${p.output.slice(-4000)}`);
  });
  return { process: p, ready: ofType(p, 'ready')[0]! };
}

interface RelayedPair {
  readonly server: PeerServer;
  readonly listener: LibraryPeer;
  readonly connector: LibraryPeer;
  readonly log: () => string;
}

/** `natkit serve`, the listener in RA (with its relay), the connector in RB; both sending, on the relay, datagrams flowing both ways. */
async function startRelayedPair(lab: Lab, connectorRelay: 'udp' | 'off'): Promise<RelayedPair> {
  const server = await startPeerServer(lab);
  const listener = await startPeer(lab, 'RA', server.endpoint, 'udp');
  const connector = await startPeer(lab, 'RB', server.endpoint, connectorRelay, listener.ready.peer);
  const log = (): string => `--- listener\n${listener.process.output.slice(-12_000)}\n--- connector\n${connector.process.output.slice(-12_000)}`;
  await listener.process.waitForOutput(/"type":"connection"/, 20_000);
  await connector.process.waitForOutput(/"type":"connection"/, 20_000);
  expect(ofType(connector.process, 'connection')[0]?.path, log()).toBe('relay');
  await sleep(1500);
  const since = Date.now() - 1000;
  const flowing = [delivery(connector.process, listener.process, since), delivery(listener.process, connector.process, since)];
  expect(flowing.map((d) => d.resumedMs), `datagrams flow both ways before the flush\n${log()}`).not.toContain(null);
  return { server, listener, connector, log };
}

/** Deletes the NAT mappings of `site` towards the server's UDP port (conntrack at its NAT); resolves with the time it was done. */
async function deleteMappingsToServer(lab: Lab, site: string, server: PeerServer): Promise<number> {
  const [serverIp, serverPort] = server.endpoint.split(':');
  const flush = await lab.exec(lab.nats[site]!.ns, ['conntrack', '-D', '-p', 'udp', '--orig-dst', serverIp!, '--orig-port-dst', serverPort!], { timeoutMs: 10_000 });
  expect(flush.code, `${flush.stdout}${flush.stderr}`).toBe(0);
  expect(flush.stderr, flush.stderr).toMatch(/[1-9]\d* flow entries have been deleted/);
  return Date.now();
}

/**
 * Waits (bounded) until a datagram sent after `flushedAt` arrived each way, then a second and a
 * half more; stops both peers (each reports its stats) and returns the figures.
 */
async function observeRecovery(pair: RelayedPair, flushedAt: number): Promise<{ toListener: ReturnType<typeof delivery>; toConnector: ReturnType<typeof delivery>; lastSecond: boolean[]; figures: string }> {
  const { listener, connector } = pair;
  const recovered = (): boolean => delivery(connector.process, listener.process, flushedAt).resumedMs !== null && delivery(listener.process, connector.process, flushedAt).resumedMs !== null;
  for (let waited = 0; !recovered() && waited < RECOVERY_BOUND_MS + 2000; waited += 100) await sleep(100);
  await sleep(1000);
  const since = Date.now() - 1000;
  await sleep(500);
  const toListener = delivery(connector.process, listener.process, flushedAt);
  const toConnector = delivery(listener.process, connector.process, flushedAt);
  const lastSecond = [delivery(connector.process, listener.process, since).resumedMs !== null, delivery(listener.process, connector.process, since).resumedMs !== null];
  const moves = ofType(listener.process, 'relayed').map((m) => `${m.relayed} (+${m.at - flushedAt} ms)`);
  const figures = `connector -> listener: first datagram sent after the flush delivered ${toListener.resumedMs} ms after it, longest silence ${toListener.longestGapMs} ms; listener -> connector: ${toConnector.resumedMs} ms, ${toConnector.longestGapMs} ms; relayed ${listener.ready.relayed} -> ${moves.join(' -> ')}`;
  await Promise.all([listener.process.stop({ graceMs: 3000 }), connector.process.stop({ graceMs: 3000 })]);
  return { toListener, toConnector, lastSecond, figures };
}

/**
 * The listener (RA) with its relay, the connector (RB) with one (`udp`) or without (`off`); a
 * datagram every 50 ms each way on the relay, a conntrack delete at RA, and the checks.
 */
async function reallocateMidConnection(lab: Lab, connectorRelay: 'udp' | 'off'): Promise<void> {
  const pair = await startRelayedPair(lab, connectorRelay);
  const { listener, connector } = pair;
  const flushedAt = await deleteMappingsToServer(lab, 'RA', pair.server);
  const { toListener, toConnector, lastSecond, figures } = await observeRecovery(pair, flushedAt);
  const detail = `${figures}\n${pair.log()}`;
  // The allocation moved: the listener allocated again, at another relayed address.
  const relayed = ofType(listener.process, 'relayed').at(-1)?.relayed ?? null;
  expect(relayed, detail).not.toBeNull();
  expect(relayed, detail).not.toBe(listener.ready.relayed);
  // The delete cut the flow to the listener (what came for the old 5-tuple was dropped at its NAT) ...
  expect(toListener.longestGapMs, detail).toBeGreaterThan(KEEPALIVE_MS / 2);
  // ... and both directions flow again within the bound, and keep flowing.
  expect(toListener.resumedMs, detail).not.toBeNull();
  expect(toListener.resumedMs!, detail).toBeLessThan(RECOVERY_BOUND_MS);
  expect(toConnector.resumedMs, detail).not.toBeNull();
  expect(toConnector.resumedMs!, detail).toBeLessThan(RECOVERY_BOUND_MS);
  expect(lastSecond, detail).toEqual([true, true]);
  // The same connection on both sides (no reconnect, no close), still on the relay.
  for (const p of [listener.process, connector.process]) {
    expect(ofType(p, 'connection').map((c) => c.n), detail).toEqual([1]);
    expect(ofType(p, 'close'), detail).toEqual([]);
    expect(ofType(p, 'stats')[0]?.path, detail).toBe('relay');
  }
  // Without a relay of its own, the connector sends from its socket to the new relayed address.
  if (connectorRelay === 'off') expect(ofType(connector.process, 'stats')[0]?.route.relay, detail).toEqual(hostPort(relayed));
  process.stderr.write(`peer-relay-move (connector relay ${connectorRelay}): ${figures}\n`);
}

const hostPort = (text: string | null): { address: string; port: number } | null => {
  const i = text?.lastIndexOf(':') ?? -1;
  return text === null || i < 0 ? null : { address: text.slice(0, i), port: Number(text.slice(i + 1)) };
};

describeLab('a relayed connection across a TURN re-allocation (the listener\'s NAT loses its mapping to the server)', ['conntrack'], () => {
  const sites = { RA: { behavior: 'symmetric-random' }, RB: { behavior: 'symmetric-random' } } as const;

  // The connector reaches the listener only at its relayed address (its own NAT lets in nothing
  // else): it goes on sending to the old one until told. Fails with the notices disabled.
  it('two symmetric random NATs, the connector without a relay of its own: it learns the new relayed address and the same connection carries datagrams both ways again', async () => {
    await using lab = await createLab({ sites });
    await reallocateMidConnection(lab, 'off');
  }, 60_000);

  // Both with a relay: the datagrams go relay to relay (each sends through its allocation to the
  // other's relayed address), so the connector also hears the listener's new relayed address in
  // its data, and would follow it even without the notices; the recovery on real NATs is the point.
  it('two symmetric random NATs, both with a relay: the same connection carries datagrams both ways again, through the listener\'s new relayed address', async () => {
    await using lab = await createLab({ sites });
    await reallocateMidConnection(lab, 'udp');
  }, 60_000);
});
