import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, describeLab, natBehaviors, natRuleset, probeMappings, startTurnServer, type Lab } from './harness/index.js';
import { destroySync } from './harness/safety-net.js';
import { findTool } from './harness/tools.js';
import { parsePingOutput } from './harness/peer-pair.js';
import { planLab } from './harness/topology.js';

function listNamespaces(): string[] {
  return execFileSync(findTool('ip')!, ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeLab('lab harness: namespaces, processes, teardown', ['turnserver'], () => {
  let lab: Lab<'A' | 'B'>;
  beforeAll(async () => {
    lab = await createLab({ sites: { A: { behavior: 'port-restricted-cone' }, B: { topology: 'no-nat' } } });
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('builds the documented topology under a unique prefix', async () => {
    expect(lab.prefix).toMatch(/^nk[0-9a-z]+$/);
    expect(lab.serverAddresses).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(lab.nat('A').wanAddress).toBe('203.0.113.10');
    expect(lab.hosts.A.address).toBe('100.64.1.2');
    expect(lab.hosts.B.address).toBe('203.0.113.20');
    expect(lab.nats.B).toBeUndefined();
    const present = listNamespaces();
    for (const ns of lab.namespaces) expect(present).toContain(ns);
    const addrs = await lab.exec(lab.ns.inet, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'br0'], { timeoutMs: 5000 });
    expect(addrs.stdout).toContain('203.0.113.1/24');
    expect(addrs.stdout).toContain('203.0.113.2/24');
    const route = await lab.exec(lab.ns.inet, ['ip', 'route', 'show', 'default'], { timeoutMs: 5000 });
    expect(route.stdout).toContain('via 198.51.100.2 dev bh0');
  });

  it('reaches coturn from behind the NAT (mapped to the WAN) and from the no-NAT host (unmapped)', async () => {
    const turn = await startTurnServer(lab);
    try {
      const destinations = [{ address: '203.0.113.2', port: 3478 }];
      const [a, b] = await Promise.all([
        probeMappings(lab, lab.hosts.A.ns, { destinations, sockets: 1 }),
        probeMappings(lab, lab.hosts.B.ns, { destinations, sockets: 1 }),
      ]);
      expect(a.results[0]!.mapped[0]).toEqual({ address: '203.0.113.10', port: a.results[0]!.localPort });
      expect(b.results[0]!.mapped[0]).toEqual({ address: '203.0.113.20', port: b.results[0]!.localPort });
    } finally {
      await turn.stop();
    }
    expect(turn.process.running).toBe(false);
  });

  it('drops new inbound packets addressed to the NAT router itself', async () => {
    const rules = await lab.exec(lab.nat('A').ns, ['nft', 'list', 'chain', 'ip', 'fw', 'in'], { timeoutMs: 5000 });
    expect(rules.stdout).toMatch(/iifname "wan0" ct state new drop/);
  });

  it('bounds exec time and kills the command by pid on timeout', async () => {
    const result = await lab.exec(lab.hosts.A.ns, ['sleep', '30'], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.code).toBeNull();
    expect(result.durationMs).toBeLessThan(3000);
  });

  it('passes stdin and reports exit codes', async () => {
    const result = await lab.exec(lab.hosts.A.ns, ['sh', '-c', 'cat; exit 7'], { timeoutMs: 5000, input: 'hello' });
    expect(result).toMatchObject({ code: 7, stdout: 'hello', timedOut: false });
  });

  it('spawns long-running processes, waits for their output, and stops them', async () => {
    const child = await lab.spawn(lab.hosts.B.ns, ['sh', '-c', 'echo ready; exec sleep 60']);
    await child.waitForOutput(/ready/, 5000);
    expect(child.running).toBe(true);
    const exit = await child.stop({ graceMs: 1000 });
    expect(exit.signal).toBe('SIGTERM');
    expect(isAlive(child.pid)).toBe(false);
    await expect(child.waitForOutput(/never/, 100)).rejects.toThrow(/exited/);
  });

  it('every NAT ruleset combination is accepted by nft (checked inside the lab, nothing applied)', async () => {
    const combos = natBehaviors.flatMap((behavior) =>
      [false, true].flatMap((hairpin) => [0, 10].map((lossPercent) => ({ behavior, hairpin, lossPercent, blockUdp: lossPercent === 0 && hairpin }))),
    );
    const results = await Promise.all(
      combos.map(async (combo) => {
        const ruleset = natRuleset({ ...combo, wanIf: 'wan0', lanIf: 'lan0', wanAddress: '203.0.113.10', insideAddress: '100.64.1.2', portOffset: 20000, hashSeed: 7 });
        const check = await lab.exec(lab.ns.inet, ['nft', '-c', '-f', '-'], { timeoutMs: 10_000, input: ruleset });
        return { combo, code: check.code, stderr: check.stderr };
      }),
    );
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
  });

  it('refuses namespaces that are not its own', async () => {
    expect(() => lab.exec('some-other-ns', ['true'])).toThrow(/not a namespace of this lab/);
    await Promise.resolve();
  });
});

describeLab('lab teardown', [], () => {
  it('close() kills its processes and deletes exactly its namespaces; idempotent', async () => {
    const lab = await createLab({ sites: { A: { behavior: 'symmetric-random' }, D: { topology: 'double-nat' } } });
    let pids: number[] = [];
    let namespaces: string[] = [];
    try {
      namespaces = [...lab.namespaces];
      expect(namespaces).toHaveLength(1 + 2 + 3);
      const a = await lab.spawn(lab.hosts.A.ns, ['sleep', '60']);
      const b = await lab.spawn(lab.ns.inet, ['sleep', '60']);
      pids = [a.pid, b.pid];
      for (const pid of pids) expect(isAlive(pid)).toBe(true);
    } finally {
      await lab.close();
    }
    await lab.close();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const present = listNamespaces();
    for (const ns of namespaces) expect(present).not.toContain(ns);
    expect(present.filter((ns) => ns.startsWith(lab.prefix + '-'))).toEqual([]);
    expect(() => lab.exec(namespaces[0]!, ['true'])).toThrow(/closed/);
  });

  it('the exit safety net (destroySync) kills by pid and deletes only the given namespaces', async () => {
    const lab = await createLab({ sites: { A: {} } });
    const namespaces = [...lab.namespaces];
    try {
      const child = await lab.spawn(lab.hosts.A.ns, ['sleep', '60']);
      destroySync({ pids: new Set([child.pid]), namespaces });
      await child.exited;
      const present = listNamespaces();
      for (const ns of namespaces) expect(present).not.toContain(ns);
    } finally {
      await lab.close();
    }
  });

  it('two labs built at once get distinct prefixes and do not collide', async () => {
    const [one, two] = await Promise.all([createLab({ sites: { A: {} } }), createLab({ sites: { A: {} } })]);
    try {
      expect(one.prefix).not.toBe(two.prefix);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('lab plan: several hosts behind one NAT (pure)', () => {
  it('puts host n at 100.64.(i+1).(n+1) in its own namespace', () => {
    const plan = planLab('nkx', { A: {}, B: { hosts: 3 } });
    const b = plan.sites[1]!;
    expect([b.host, ...b.extraHosts].map((h) => [h.ns, h.address, h.gateway])).toEqual([
      ['nkx-hB', '100.64.2.2', '100.64.2.1'],
      ['nkx-hB-2', '100.64.2.3', '100.64.2.1'],
      ['nkx-hB-3', '100.64.2.4', '100.64.2.1'],
    ]);
    expect(plan.sites[0]!.extraHosts).toEqual([]);
    expect(plan.namespaces).toEqual(['nkx-inet', 'nkx-natA', 'nkx-hA', 'nkx-natB', 'nkx-hB', 'nkx-hB-2', 'nkx-hB-3']);
  });

  it('refuses what it cannot build', () => {
    expect(() => planLab('nkx', { A: { hosts: 0 } })).toThrow(/hosts must be an integer/);
    expect(() => planLab('nkx', { A: { hosts: 1.5 } })).toThrow(/hosts must be an integer/);
    expect(() => planLab('nkx', { A: { hosts: 9 } })).toThrow(/hosts must be an integer/);
    expect(() => planLab('nkx', { A: { hosts: 2, topology: 'double-nat' } })).toThrow(/topology 'nat' or 'udp-blocked'/);
    expect(() => planLab('nkx', { A: { hosts: 2, ipv6: 'firewall' } })).toThrow(/IPv4 only/);
    expect(() => planLab('nkx', { A: { hosts: 2, behavior: 'full-cone' } })).toThrow(/forwards to one host/);
    expect(() => planLab('nkx', { A: { hosts: 2, behavior: 'restricted-cone' } })).toThrow(/forwards to one host/);
  });
});

describeLab('lab harness: two hosts behind one NAT', ['turnserver'], () => {
  it('both hosts are mapped to the NAT\'s WAN address and reach each other on the LAN without it', async () => {
    await using lab = await createLab({ sites: { S: { behavior: 'symmetric-random', hosts: 2 } } });
    const [one, two] = lab.siteHosts.S;
    expect([one!.address, two!.address]).toEqual(['100.64.1.2', '100.64.1.3']);
    expect(one).toBe(lab.hosts.S);
    const turn = await startTurnServer(lab);
    const destinations = [{ address: '203.0.113.1', port: 3478 }];
    const mapped = await Promise.all([one!, two!].map((h) => probeMappings(lab, h.ns, { destinations, sockets: 1 })));
    for (const m of mapped) expect(m.results[0]!.mapped[0]?.address).toBe('203.0.113.10');
    await turn.stop();
    const listen = "const s = require('node:dgram').createSocket('udp4'); s.on('message', (m, r) => { console.log('got ' + m + ' from ' + r.address); process.exit(0); }); s.bind(40000, () => console.log('ready')); setTimeout(() => process.exit(3), 5000);";
    const send = "const s = require('node:dgram').createSocket('udp4'); let n = 0; const t = setInterval(() => { s.send('hi', 40000, process.argv[1]); if (++n === 5) { clearInterval(t); s.close(); } }, 100);";
    const listener = await lab.spawn(one!.ns, [process.execPath, '-e', listen]);
    await listener.waitForOutput(/ready/, 5000);
    const sent = await lab.exec(two!.ns, [process.execPath, '-e', send, one!.address], { timeoutMs: 5000 });
    expect(sent.code, sent.stderr).toBe(0);
    expect(await listener.waitForExit(5000)).toMatchObject({ code: 0 });
    expect(listener.stdout).toContain('got hi from 100.64.1.3');
  });
});

describe('natkit ping --json output (pure)', () => {
  it('keeps the pongs and the summary, and ignores lines that are not valid objects of those types', () => {
    const out = [
      'natkit ping: connected',
      '{"type":"pong","seq":1,"rttMs":2.5,"path":"relay","address":"203.0.113.1:50000"}',
      '{"type":"pong","seq":2,"rttMs":1.5,"path":"direct"}',
      '{"type":"pong","seq":"3","rttMs":1,"path":"direct"}',
      '{"type":"pong","seq":4,"rttMs":1,"path":"sideways"}',
      '{not json',
      '[1,2]',
      '{"type":"summary","sent":2,"received":2,"path":"direct","connectMs":40,"directMs":290,"strategy":"birthday","strategyReason":"random vs EIM"}',
    ].join('\n');
    expect(parsePingOutput(out)).toEqual({
      pongs: [
        { seq: 1, rttMs: 2.5, path: 'relay', address: '203.0.113.1:50000' },
        { seq: 2, rttMs: 1.5, path: 'direct' },
      ],
      summary: { type: 'summary', sent: 2, received: 2, path: 'direct', connectMs: 40, directMs: 290, strategy: 'birthday', strategyReason: 'random vs EIM' },
    });
    expect(parsePingOutput('{"type":"summary","sent":2,"received":0,"path":"relay","connectMs":"soon","directMs":null}')).toEqual({ pongs: [], summary: null });
    expect(parsePingOutput('')).toEqual({ pongs: [], summary: null });
  });
});
