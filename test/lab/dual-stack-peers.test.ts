/**
 * Dual stack on real Linux (issue 7: "IPv6 pairs preferred when both sides have them"): two sites
 * behind port-restricted IPv4 NATs that also have global IPv6 behind a stateful firewall (routed
 * LAN, inbound only established/related: see harness/ipv6-rules.ts), and an IPv4-only site.
 * `natkit serve` serves STUN on both families in one process (--address6), so the rendezvous
 * verifies each peer's IPv6 address (address token in a STUN Binding from its IPv6 socket).
 * `natkit listen` and `natkit ping --json`, with --server6, as a user runs them. With
 * `--workers 2` the IPv6 sockets stay in the primary beside the rendezvous (the workers serve IPv4).
 */
import { expect, it } from 'vitest';
import { createLab, describeLab, runPeerPing, startPeerListener, startPeerServer, type Lab, type PeerPingRun, type SiteOptions } from './harness/index.js';

const sites = {
  /** Port-restricted IPv4 NAT, IPv6 routed behind a stateful firewall. */
  A: { ipv6: 'firewall' },
  B: { ipv6: 'firewall' },
  /** IPv4 only. */
  V4: { ipv6: 'none' },
  /** Symmetric IPv4 NATs with random ports (no IPv4 strategy between two of them), IPv6 firewalls. */
  RA: { behavior: 'symmetric-random', ipv6: 'firewall' },
  RB: { behavior: 'symmetric-random', ipv6: 'firewall' },
} satisfies Record<string, SiteOptions>;

interface Line {
  type?: string;
  path?: string;
  family?: number;
  address?: string;
}

function lines(run: PeerPingRun): Line[] {
  return run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
}

describeLab('dual stack: natkit listen / ping prefer a direct IPv6 path when both sides have verified IPv6', [], () => {
  it('two dual-stack sites behind IPv4 NATs and IPv6 firewalls end on a direct IPv6 path; an IPv4-only pinger ends direct over IPv4 as before', async () => {
    await using lab: Lab<keyof typeof sites> = await createLab({ sites });
    const server = await startPeerServer(lab, { dualStack: true });
    await server.process.waitForOutput(/dual stack: the rendezvous binds peers' IPv6 addresses .* on UDP \[2001:db8::1\]:3478/, 5_000);
    const listener = await startPeerListener(lab, lab.hosts.A.ns, server, { debug: true });
    const raw = (run: PeerPingRun): string => `exit ${run.code}\n${run.stdout}\n${run.stderr}\n--- listener\n${listener.process.output}`;

    const six = await runPeerPing(lab, lab.hosts.B.ns, server, listener.peer, { count: 16, intervalMs: 250, debug: true });
    expect(six.stderr, raw(six)).toContain(`IPv6: [${lab.hosts.B.publicAddress6!}]:`);
    expect(six.stderr, raw(six)).toMatch(/verified by the server/);
    expect(six.summary, raw(six)).toMatchObject({ path: 'direct', strategy: 'simultaneous-open' });
    const summary6 = lines(six).find((l) => l.type === 'summary');
    expect(summary6, raw(six)).toMatchObject({ family: 6 });
    expect(summary6?.address, raw(six)).toMatch(new RegExp(`^\\[${lab.hosts.A.publicAddress6!}\\]:\\d+$`));
    const lastPong = lines(six).filter((l) => l.type === 'pong').at(-1);
    expect(lastPong, raw(six)).toMatchObject({ path: 'direct', family: 6 });
    expect(six.summary!.received, raw(six)).toBeGreaterThanOrEqual(12);

    // The IPv4-only host also gets --server6: it has no IPv6 route, so it works on IPv4 alone.
    const four = await runPeerPing(lab, lab.hosts.V4.ns, server, listener.peer, { count: 16, intervalMs: 250, debug: true });
    expect(four.stderr, raw(four)).toMatch(/IPv6: not available/);
    expect(four.summary, raw(four)).toMatchObject({ path: 'direct', strategy: 'simultaneous-open' });
    expect(lines(four).find((l) => l.type === 'summary'), raw(four)).toMatchObject({ family: 4, address: expect.stringMatching(new RegExp(`^${lab.hosts.A.publicAddress.replaceAll('.', '\\.')}:\\d+$`)) as string });
    process.stderr.write(`dual-stack-peers: IPv6 pair: first pong ${six.summary!.connectMs} ms, direct ${six.summary!.directMs} ms; IPv4-only pinger: first pong ${four.summary!.connectMs} ms, direct ${four.summary!.directMs} ms\n`);

    // Two random-port symmetric IPv4 NATs: relay-only over IPv4, direct over IPv6.
    const randomListener = await startPeerListener(lab, lab.hosts.RB.ns, server, { debug: true });
    const random = await runPeerPing(lab, lab.hosts.RA.ns, server, randomListener.peer, { count: 16, intervalMs: 250, debug: true });
    const rawRandom = `exit ${random.code}\n${random.stdout}\n${random.stderr}\n--- listener\n${randomListener.process.output}`;
    expect(random.summary, rawRandom).toMatchObject({ path: 'direct', strategy: 'simultaneous-open' });
    expect(lines(random).find((l) => l.type === 'summary'), rawRandom).toMatchObject({ family: 6, address: `[${lab.hosts.RB.publicAddress6!}]:${/"second":"\[[^\]]+\]:(\d+)"/.exec(randomListener.process.output)?.[1] ?? 'none'}` });
    await randomListener.process.stop({ graceMs: 1000 });

    // IPv6 breaks after registration (site A's firewall drops inbound IPv6 UDP): the IPv6 attempt
    // times out, the IPv4 plan follows, and the pair still ends direct, over IPv4.
    const blocked = await lab.exec(lab.nat('A').ns, ['nft', 'insert', 'rule', 'ip6', 'fw', 'forward', 'iifname', 'wan0', 'meta', 'l4proto', 'udp', 'drop'], { timeoutMs: 5_000 });
    expect(blocked.code, blocked.stderr).toBe(0);
    const fallback = await runPeerPing(lab, lab.hosts.B.ns, server, listener.peer, { count: 24, intervalMs: 250, debug: true });
    expect(fallback.stderr, raw(fallback)).toMatch(/punch ended without a direct path \{"strategy":"simultaneous-open","family":6/);
    expect(fallback.summary, raw(fallback)).toMatchObject({ path: 'direct' });
    expect(lines(fallback).find((l) => l.type === 'summary'), raw(fallback)).toMatchObject({ family: 4 });
    process.stderr.write(`dual-stack-peers: symmetric-random pair over IPv6: direct ${random.summary!.directMs} ms; IPv6 blocked, IPv4 fallback: direct ${fallback.summary!.directMs} ms\n`);
  }, 240_000);

  it('under natkit serve --workers 2 the rendezvous (in the primary) still verifies IPv6: two dual-stack sites end on a direct IPv6 path, an IPv4-only pinger direct over IPv4', async () => {
    await using lab: Lab<'A' | 'B' | 'V4'> = await createLab({ sites: { A: sites.A, B: sites.B, V4: sites.V4 } });
    const server = await startPeerServer(lab, { dualStack: true, extraArgs: ['--workers', '2'] });
    await server.process.waitForOutput(/dual stack: the rendezvous binds peers' IPv6 addresses .* on UDP \[2001:db8::1\]:3478.* \(IPv6 STUN and TURN in the primary process, with the rendezvous; the workers serve IPv4\)/, 10_000);
    expect(server.process.output).toMatch(/TURN on TCP .* \(one listener shared by the 2 workers, node:cluster\)/);
    const listener = await startPeerListener(lab, lab.hosts.A.ns, server, { debug: true });
    const raw = (run: PeerPingRun): string => `exit ${run.code}\n${run.stdout}\n${run.stderr}\n--- listener\n${listener.process.output}\n--- serve\n${server.process.output}`;

    const six = await runPeerPing(lab, lab.hosts.B.ns, server, listener.peer, { count: 8, intervalMs: 250, debug: true });
    expect(six.stderr, raw(six)).toMatch(/verified by the server/);
    expect(six.summary, raw(six)).toMatchObject({ path: 'direct', strategy: 'simultaneous-open' });
    const summary6 = lines(six).find((l) => l.type === 'summary');
    expect(summary6, raw(six)).toMatchObject({ family: 6 });
    expect(summary6?.address, raw(six)).toMatch(new RegExp(`^\\[${lab.hosts.A.publicAddress6!}\\]:\\d+$`));

    const four = await runPeerPing(lab, lab.hosts.V4.ns, server, listener.peer, { count: 8, intervalMs: 250, debug: true });
    expect(four.summary, raw(four)).toMatchObject({ path: 'direct', strategy: 'simultaneous-open' });
    expect(lines(four).find((l) => l.type === 'summary'), raw(four)).toMatchObject({ family: 4 });
    process.stderr.write(`dual-stack-peers --workers 2: IPv6 pair: first pong ${six.summary!.connectMs} ms, direct ${six.summary!.directMs} ms; IPv4-only pinger: first pong ${four.summary!.connectMs} ms, direct ${four.summary!.directMs} ms\n`);
  }, 180_000);
}, { ipv6: true });
