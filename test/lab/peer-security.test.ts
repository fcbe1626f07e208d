/**
 * Issue 7, security proof on real NATs: `tcpdump -w` on the lab's internet bridge (br0 in the
 * `inet` namespace, where `natkit serve` and its relay live) for a whole session of two
 * `natkit listen` / `natkit pipe` pairs: full cone <- port-restricted (relay first, then direct)
 * and symmetric random <- symmetric random (relay for good). Both directions carry marker lines
 * with a random secret; the capture must hold the peers' traffic (direct datagrams between the
 * two NATs, relayed datagrams through 203.0.113.1) and never the secret. A plaintext control
 * datagram sent across the same bridge IS found, so the search can fail. Mid-session an attacker
 * on the internet replays and tampers with P's captured direct packets to F (a full cone lets
 * them in): no marker line reaches F's stdout twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

/** The attacker sends from the lab internet's second server address (a host on br0). */
const ATTACKER = '203.0.113.2';

/**
 * Reads the capture so far (tcpdump -U writes each packet at once), takes the session transport
 * packets (first byte 6) sent to `target` straight from a peer, and sends each twice from
 * ATTACKER: as captured (a replay) and with its tag's last byte flipped (a forgery). Returns how
 * many were taken.
 */
async function replayDirect(lab: Lab, capture: string, dir: string, target: string): Promise<number> {
  let taken: CapturedPacket[] = [];
  for (let i = 0; i < 30 && taken.length < 8; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    const read = readPcap(await readFile(capture));
    if (!read.ok) throw new Error(read.reason);
    taken = read.value.filter((p) => p.protocol === 'udp' && p.dst === target && p.src !== lab.serverAddresses[0] && p.payload[0] === 6 && p.payload.length > 40).slice(0, 100);
  }
  const list = taken.flatMap((p) => {
    const forged = Buffer.from(p.payload);
    forged[forged.length - 1]! ^= 1;
    return [{ hex: p.payload.toString('hex'), port: p.dstPort }, { hex: forged.toString('hex'), port: p.dstPort }];
  });
  const file = join(dir, 'replay.json');
  await writeFile(file, JSON.stringify(list));
  const script = `const s=require('node:dgram').createSocket('udp4');const l=JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)},'utf8'));s.bind(0,'${ATTACKER}',async()=>{for(const p of l){s.send(Buffer.from(p.hex,'hex'),p.port,'${target}');await new Promise(r=>setTimeout(r,2));}setTimeout(()=>s.close(),100);});`;
  const r = await lab.exec(lab.ns.inet, [process.execPath, '-e', script], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`replay: ${r.stderr}`);
  return taken.length;
}

describeLab('end-to-end encryption on real NATs: a capture of the lab internet', ['tcpdump'], () => {
  it('the relay and a capture of br0 carry the peers\' data (direct and relayed) but never its plaintext; replays from the internet are dropped', async () => {
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
    // --immediate-mode: each packet reaches the file at once (no 1 s ring-block wait), so what is
    // read mid-session is current and nothing is lost when tcpdump is stopped.
    const tcpdump = await lab.spawn(lab.ns.inet, [requireTool('tcpdump'), '-i', 'br0', '-n', '-U', '--immediate-mode', '-s', '0', '-Z', 'root', '-w', capture, 'ip']);
    await tcpdump.waitForOutput(/listening on br0/, 10_000);

    const ip = lab.serverAddresses[0]!;
    const serve = await lab.spawn(lab.ns.inet, [process.execPath, NATKIT_BIN, 'serve', '--address', ip, '--port', '3478', '--allow-peer', '203.0.113.0/24']);
    await serve.waitForOutput(/rendezvous \(WebSocket/, 10_000);
    const server = `${ip}:3478`;

    const secret = `NKSECRET${randomBytes(8).toString('hex')}`;
    const f = await listen(lab, 'F', dir, server, `${secret}-to-P-`);
    const ra = await listen(lab, 'RA', dir, server, `${secret}-to-RB-`);
    const pipes = Promise.all([
      pipe(lab, 'P', dir, server, f.peer, `${secret}-from-P-`),
      pipe(lab, 'RB', dir, server, ra.peer, `${secret}-from-RB-`),
    ]);
    // Mid-session, an attacker on the internet replays (and tampers with) what the capture holds
    // of P's direct session packets to F; F's full cone lets anyone's datagrams in.
    await new Promise((r) => setTimeout(r, 3000));
    const injected = await replayDirect(lab, capture, dir, lab.nats.F!.wanAddress);
    const [toF, toRa] = await pipes;
    const why = `pipe P: exit ${toF.code} ${toF.stderr}\npipe RB: exit ${toRa.code} ${toRa.stderr}\nlisten F: ${f.process.stderr}\nlisten RA: ${ra.process.stderr}`;
    expect(toF.code, why).toBe(0);
    expect(toRa.code, why).toBe(0);
    // The markers crossed both ways (UDP: a datagram may be lost across a path switch).
    expect(count(f.process.stdout, `${secret}-from-P-`), why).toBeGreaterThanOrEqual(20);
    expect(count(ra.process.stdout, `${secret}-from-RB-`), why).toBeGreaterThanOrEqual(20);
    expect(count(toF.stdout, `${secret}-to-P-`), why).toBeGreaterThanOrEqual(5);
    expect(count(toRa.stdout, `${secret}-to-RB-`), why).toBeGreaterThanOrEqual(5);
    expect(f.process.stderr, why).toMatch(/path to \S+ now direct/);
    // Replays and forgeries of session packets already delivered: no line came out twice.
    const fromP = f.process.stdout.split('\n').filter((l) => l.startsWith(`${secret}-from-P-`));
    expect(injected, 'session packets replayed to F').toBeGreaterThanOrEqual(8);
    expect(fromP.length - new Set(fromP).size, 'lines delivered twice').toBe(0);
    expect(ra.process.stderr, why).not.toMatch(/now direct/);

    // Control: plaintext across the same bridge is seen by this capture and this search.
    const control = `NKCONTROL${randomBytes(8).toString('hex')}`;
    const sendControl = `const s=require('node:dgram').createSocket('udp4');s.send(Buffer.from('${control}'),9,'${lab.serverAddresses[1]!}',()=>s.close())`;
    expect((await lab.exec(lab.hosts.P!.ns, [process.execPath, '-e', sendControl], { timeoutMs: 10_000 })).code).toBe(0);
    for (let i = 0; i < 30 && !(await readFile(capture)).includes(control); i++) await new Promise((r) => setTimeout(r, 100));
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
    expect(packets.filter((p) => p.src === ATTACKER && p.dst === natF).length, 'the replays crossed the internet').toBeGreaterThanOrEqual(2 * injected);
    // ... and never the plaintext: not in any packet, not anywhere in the file.
    expect(packets.filter((p) => p.payload.includes(secret)).map((p) => `${p.protocol} ${p.src}:${p.srcPort} -> ${p.dst}:${p.dstPort}`)).toEqual([]);
    expect(bytes.includes(secret)).toBe(false);
  }, 180_000);
});
