/*
 * `natkit diagnose` on a machine with no network at all: the CLI runs in a fresh network
 * namespace of its own (`unshare --net`: only a downed loopback, gone when the process exits),
 * so the system resolver fails as it does offline and no packet can leave.
 */
import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeLab, NATKIT_BIN, requireTool } from './harness/index.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runOffline(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(requireTool('unshare'), ['--net', '--', process.execPath, NATKIT_BIN, ...args], { timeout: 20_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

describeLab('natkit diagnose offline (no network namespace interfaces, no DNS)', ['unshare'], () => {
  it('with its default servers: no default name resolved, suggests --server, exits 3 (not 1, no raw getaddrinfo text alone)', async () => {
    const r = await runOffline(['diagnose', '--json']);
    expect(r.stderr).toContain('natkit diagnose: no default STUN server name resolved: offline, or DNS blocked? use --server HOST');
    expect(r.stderr).toMatch(/cannot resolve stunserver\.stunprotocol\.org: (no answer from DNS|no such name)/);
    expect(r.stderr).not.toMatch(/unexpected/i);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(3);
  });

  it('with an IP literal it needs no DNS: no server answers (UDP blocked), exit 3', async () => {
    const r = await runOffline(['diagnose', '--server', '127.0.0.1:3478', '--timeout', '200', '--json', '--ipv4']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, ipv4: { udp: false } });
  });
});
