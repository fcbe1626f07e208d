/**
 * Issue 7, security proof on real NATs: `tcpdump -w` on the lab's internet bridge (br0 in the
 * `inet` namespace, where `natkit serve` and its relay live) for a whole session of two
 * `natkit listen` / `natkit pipe` pairs: full cone <- port-restricted (relay first, then direct)
 * and symmetric random <- symmetric random (relay for good). Both directions carry marker lines
 * with a random secret; the capture must hold the peers' traffic (direct datagrams between the
 * two NATs, relayed datagrams through 203.0.113.1) and never the secret. A plaintext control
 * datagram sent across the same bridge IS found, so the search can fail.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createLab, describeLab, NATKIT_BIN, requireTool, type Lab, type LabProcess } from './harness/index.js';
import { readPcap, type CapturedPacket } from './harness/pcap-reader.js';

/** A shell loop writing `count` lines `<prefix><i>`, one every 250 ms (bounded: count <= 200). */
function lines(prefix: string, count: number): string {
  return `i=0; while [ $i -lt ${Math.min(count, 200)} ]; do printf '%s%d\\n' '${prefix}' $i; i=$((i+1)); sleep 0.25; done`;
}

async function listen(lab: Lab, site: string, dir: string, server: string, reply: string): Promise<{ process: LabProcess; peer: string }> {
  const cmd = `(${lines(reply, 80)}) | exec '${process.execPath}' '${NATKIT_BIN}' listen --server ${server} --key '${join(dir, `${site}.pem`)}' --json`;
  const p = await lab.spawn(lab.hosts[site]!.ns, ['sh', '-c', cmd]);
  await p.waitForOutput(/"type":"listening"/, 15_000);
  const line = p.stdout.split('\n').find((l) => l.includes('"listening"')) ?? '';
  return { process: p, peer: (JSON.parse(line) as { peer: string }).peer };
}

function pipe(lab: Lab, site: string, dir: string, server: string, peer: string, prefix: string): ReturnType<Lab['exec']> {
  const cmd = `(${lines(prefix, 24)}) | exec '${process.execPath}' '${NATKIT_BIN}' pipe --server ${server} --key '${join(dir, `${site}.pem`)}' ${peer}`;
  return lab.exec(lab.hosts[site]!.ns, ['sh', '-c', cmd], { timeoutMs: 45_000 });
}

const count = (text: string, prefix: string): number => new Set(text.split('\n').filter((l) => l.startsWith(prefix))).size;

function between(packets: readonly CapturedPacket[], a: string, b: string, minPayload = 0): number {
  return packets.filter((p) => p.protocol === 'udp' && p.payload.length >= minPayload && ((p.src === a && p.dst === b) || (p.src === b && p.dst === a))).length;
}

describeLab('end-to-end encryption on real NATs: a capture of the lab internet', ['tcpdump'], () => {
  it('the relay and a capture of br0 carry the peers\' data (direct and relayed) but never its plaintext', async () => {
    await using lab: Lab = await createLab({
      sites: {
        F: { behavior: 'full-cone' },
        P: { behavior: 'port-restricted-cone' },
        RA: { behavior: 'symmetric-random' },
        RB: { behavior: 'symmetric-random' },
      },
    });
    const dir = await mkdtemp(join(tmpdir(), 'natkit-lab-security-'));
    lab.defer(() => rm(dir, { recursive: true, force: true }));
    const capture = join(dir, 'inet.pcap');
    // -Z root: Debian's tcpdump drops to its own user, which could not write into our 0700 dir.
    const tcpdump = await lab.spawn(lab.ns.inet, [requireTool('tcpdump'), '-i', 'br0', '-n', '-U', '-s', '0', '-Z', 'root', '-w', capture, 'ip']);
    await tcpdump.waitForOutput(/listening on br0/, 10_000);

    const ip = lab.serverAddresses[0]!;
    const serve = await lab.spawn(lab.ns.inet, [process.execPath, NATKIT_BIN, 'serve', '--address', ip, '--port', '3478', '--allow-peer', '203.0.113.0/24']);
    await serve.waitForOutput(/rendezvous \(WebSocket/, 10_000);
    const server = `${ip}:3478`;

    const secret = `NKSECRET${randomBytes(8).toString('hex')}`;
    const f = await listen(lab, 'F', dir, server, `${secret}-to-P-`);
    const ra = await listen(lab, 'RA', dir, server, `${secret}-to-RB-`);
    const [toF, toRa] = await Promise.all([
      pipe(lab, 'P', dir, server, f.peer, `${secret}-from-P-`),
      pipe(lab, 'RB', dir, server, ra.peer, `${secret}-from-RB-`),
    ]);
    const why = `pipe P: exit ${toF.code} ${toF.stderr}\npipe RB: exit ${toRa.code} ${toRa.stderr}\nlisten F: ${f.process.stderr}\nlisten RA: ${ra.process.stderr}`;
    expect(toF.code, why).toBe(0);
    expect(toRa.code, why).toBe(0);
    // The markers crossed both ways (UDP: a datagram may be lost across a path switch).
    expect(count(f.process.stdout, `${secret}-from-P-`), why).toBeGreaterThanOrEqual(20);
    expect(count(ra.process.stdout, `${secret}-from-RB-`), why).toBeGreaterThanOrEqual(20);
    expect(count(toF.stdout, `${secret}-to-P-`), why).toBeGreaterThanOrEqual(5);
    expect(count(toRa.stdout, `${secret}-to-RB-`), why).toBeGreaterThanOrEqual(5);
    expect(f.process.stderr, why).toMatch(/path to \S+ now direct/);
    expect(ra.process.stderr, why).not.toMatch(/now direct/);

    // Control: plaintext across the same bridge is seen by this capture and this search.
    const control = `NKCONTROL${randomBytes(8).toString('hex')}`;
    const sendControl = `const s=require('node:dgram').createSocket('udp4');s.send(Buffer.from('${control}'),9,'${lab.serverAddresses[1]!}',()=>s.close())`;
    expect((await lab.exec(lab.hosts.P!.ns, [process.execPath, '-e', sendControl], { timeoutMs: 10_000 })).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    await tcpdump.stop();

    const bytes = await readFile(capture);
    const read = readPcap(bytes);
    expect(read.ok, read.ok ? '' : read.reason).toBe(true);
    if (!read.ok) return;
    const packets = read.value;
    expect(packets.some((p) => p.protocol === 'udp' && p.payload.includes(control)), 'the control datagram is in the capture').toBe(true);
    expect(bytes.includes(control)).toBe(true);
    // The peers' traffic is there: direct between the two cone NATs, relayed through the server,
    // datagrams at least the size of a sealed marker line.
    const sealedMin = `${secret}-from-RB-0\n`.length + 30;
    const [natF, natP, natRa, natRb] = ['F', 'P', 'RA', 'RB'].map((k) => lab.nats[k]!.wanAddress);
    expect(between(packets, natF!, natP!, sealedMin), 'direct datagrams F <-> P').toBeGreaterThanOrEqual(5);
    expect(between(packets, natRb!, ip, sealedMin), 'relayed datagrams RB <-> relay').toBeGreaterThanOrEqual(20);
    expect(between(packets, natRa!, ip, sealedMin), 'relayed datagrams RA <-> relay').toBeGreaterThanOrEqual(20);
    // ... and never the plaintext: not in any packet, not anywhere in the file.
    expect(packets.filter((p) => p.payload.includes(secret)).map((p) => `${p.protocol} ${p.src}:${p.srcPort} -> ${p.dst}:${p.dstPort}`)).toEqual([]);
    expect(bytes.includes(secret)).toBe(false);
  }, 180_000);
});
