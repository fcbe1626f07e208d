import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { createNodeNetwork } from '@natkit/net';
import { startStunServer, type StunServer } from '@natkit/stun';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeInterop, requireTool } from '../lab/harness/index.js';

/*
 * Our STUN server against clients nobody here wrote: the npm `stun` package, coturn's
 * turnutils_stunclient and turnutils_natdiscovery, and the classic RFC 3489 `stun` client.
 * The Debian tools are gated by describeInterop: missing, their suite is skipped with the tool
 * and its package named (and fails under CI=true).
 */
const run = promisify(execFile);

interface NpmStunResponse {
  getXorAddress(): { address: string; port: number } | undefined;
  getAddress(): { address: string; port: number } | undefined;
}
interface NpmStun {
  request(url: string, options: { socket: ReturnType<typeof createSocket>; retries?: number }): Promise<NpmStunResponse>;
}
const npmStun = createRequire(import.meta.url)('stun') as NpmStun;

async function tool(file: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, [...args], { timeout: 20_000 });
    return stdout + stderr;
  } catch (e) {
    const r = e as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof r.stdout === 'string') return r.stdout + (r.stderr ?? ''); // e.g. a non-zero exit code
    throw e;
  }
}

/** One natkit STUN server (RFC 5780: 127.0.0.1 and 127.0.0.2) for the suite it is called in. */
function useStunServer(): { port: () => number; alternatePort: () => number } {
  let server: StunServer | undefined;
  beforeAll(async () => {
    server = await startStunServer(
      { primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' }, software: 'natkit interop' },
      { network: createNodeNetwork() },
    );
  });
  afterAll(async () => {
    await server?.close();
  });
  return { port: () => server!.addresses()[0]!.port, alternatePort: () => server!.addresses()[3]!.port };
}

describe('STUN server interop: the npm stun client', () => {
  const server = useStunServer();

  it('gives the npm stun client its XOR-MAPPED-ADDRESS', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const res = await npmStun.request(`stun://127.0.0.1:${server.port()}`, { socket, retries: 3 });
      expect(res.getXorAddress()).toMatchObject({ address: '127.0.0.1', port: socket.address().port });
      expect(res.getAddress()).toMatchObject({ address: '127.0.0.1', port: socket.address().port });
    } finally {
      socket.close();
    }
  });
});

describeInterop("STUN server interop: coturn's client tools", { tools: ['turnutils_stunclient', 'turnutils_natdiscovery'] }, () => {
  const server = useStunServer();

  it("prints the right reflexive address, origin and other address in coturn's turnutils_stunclient", async () => {
    const out = await tool(requireTool('turnutils_stunclient'), ['-p', String(server.port()), '127.0.0.1']);
    expect(out).toMatch(/UDP reflexive addr: 127\.0\.0\.1:\d+/);
    expect(out).toContain(`Response origin: : 127.0.0.1:${server.port()}`);
    expect(out).toContain(`Other addr: : 127.0.0.2:${server.alternatePort()}`);
  });

  it("lets coturn's turnutils_natdiscovery classify loopback as endpoint-independent", async () => {
    const out = await tool(requireTool('turnutils_natdiscovery'), ['-m', '-f', '-p', String(server.port()), '127.0.0.1']);
    expect(out).toContain('NAT with Endpoint Independent Mapping!');
    expect(out).toContain('NAT with Endpoint Independent Filtering!');
  });
});

describeInterop('STUN server interop: the classic RFC 3489 stun client', { tools: ['stun'] }, () => {
  const server = useStunServer();

  it('gives the classic RFC 3489 stun client MAPPED, SOURCE and CHANGED addresses ("Open")', async () => {
    // requireTool skips node_modules/.bin, where `stun` is the npm package's CLI (a server).
    const out = await tool(requireTool('stun'), [`127.0.0.1:${server.port()}`, '-v']);
    expect(out).toMatch(/MappedAddress = 127\.0\.0\.1:\d+/);
    expect(out).toContain(`ChangedAddress = 127.0.0.2:${server.alternatePort()}`);
    expect(out).toMatch(/Primary: Open/);
    expect(out).not.toContain('problem parsing');
  });
});

// Issue 9, item 3: the classic client reads every attribute length as it is (RFC 3489 has no
// padding), so a 420 with a 21-byte ERROR-CODE, or SOFTWARE, made it lose its place.
describeInterop('the classic RFC 3489 stun client against one address and against two ports', { tools: ['stun'] }, () => {
  it('reads the 420 answers of a one-address server cleanly', async () => {
    await using server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, software: 'natkit interop' }, { network: createNodeNetwork() });
    const out = await tool(requireTool('stun'), [`127.0.0.1:${server.addresses()[0]!.port}`, '-v']);
    expect(out).toContain('ErrorCode = 4 20 Unknown Attribute');
    expect(out).not.toMatch(/Unknown attribute: /i);
    expect(out).not.toContain('problem parsing');
    expect(server.stats().errorResponses[420]).toBeGreaterThan(0);
  });

  it('gets CHANGED-ADDRESS (the other port) from a port-only server, and a clean 420 for change-IP', async () => {
    await using server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { port: 0 } }, { network: createNodeNetwork() });
    const [a0, a1] = server.addresses();
    const out = await tool(requireTool('stun'), [`127.0.0.1:${a0!.port}`, '-v']);
    expect(out).toContain(`SourceAddress = 127.0.0.1:${a0!.port}`);
    expect(out).toContain(`ChangedAddress = 127.0.0.1:${a1!.port}`);
    expect(out).toContain('ErrorCode = 4 20 Unknown Attribute');
    expect(out).not.toMatch(/Unknown attribute: /i);
    expect(out).not.toContain('problem parsing');
  });
});
