import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/* `natkit relay-check` flags that need no server (its runs against real servers are in test/interop). */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'natkit', 'relay-check', ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s), stderrIsTty: false });
  return { code, out, err };
}

describe('natkit relay-check usage', () => {
  it.each([
    [['--server', '127.0.0.1:1'], /exactly one of --user NAME:PASS or --auth-secret SECRET/],
    [['--server', '127.0.0.1:1', '--user', 'a:b', '--auth-secret', 'x'], /exactly one of/],
    [['--server', '127.0.0.1:1', '--user', 'nopassword'], /--user takes NAME:PASS/],
    [['--server', '127.0.0.1:1', '--user', ':pass'], /--user takes NAME:PASS/],
    [['--server', '127.0.0.1:1', '--user', 'a:b', '--transport', 'sctp'], /--transport takes udp, tcp or tls/],
    [['--user', 'a:b'], /--server HOST\[:PORT\] is required/],
    [['--server', '[::1', '--user', 'a:b'], /bad server/],
    [['--server', '127.0.0.1:99999', '--user', 'a:b'], /bad server/],
    [['--server', '127.0.0.1', '--auth-secret', ''], /--auth-secret is empty/],
  ])('exits 2 for %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('lists relay-check in the help with its exit codes', async () => {
    let out = '';
    const code = await main(['node', 'natkit', 'relay-check', '--help'], { stdout: (s) => void (out += s), stderr: (s) => void (out += s), stderrIsTty: false });
    expect(code).toBe(0);
    expect(out).toMatch(/--auth-secret <secret>/);
    expect(out).toMatch(/5 it does not/);
  });
});
