import type { Lab } from './lab.js';
import { requireTool } from './tools.js';

export interface UdpEndpoint {
  address: string;
  port: number;
}

/** Local UDP endpoints bound in a namespace, from `ss -Hnlu` ("UNCONN 0 0 203.0.113.1:3478 ..."). */
export function parseSsUdp(text: string): UdpEndpoint[] {
  const endpoints: UdpEndpoint[] = [];
  for (const line of text.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const match = local === undefined ? null : /^\[?([^\]]*?)\]?(?:%\S+)?:(\d+)$/.exec(local);
    if (match) endpoints.push({ address: match[1]!, port: Number(match[2]) });
  }
  return endpoints;
}

/**
 * Polls until every endpoint is bound in `ns` (a server is ready to receive). Bounded: throws
 * after timeoutMs with what was bound.
 */
export async function waitForUdpListeners(lab: Lab, ns: string, wanted: readonly UdpEndpoint[], timeoutMs = 5000): Promise<void> {
  const ss = requireTool('ss');
  const deadline = performance.now() + timeoutMs;
  let bound: UdpEndpoint[] = [];
  for (let attempt = 0; attempt < 1000 && performance.now() < deadline; attempt++) {
    const result = await lab.exec(ns, [ss, '-Hnlu'], { timeoutMs: 3000 });
    bound = parseSsUdp(result.stdout);
    const ready = wanted.every((w) => bound.some((b) => b.port === w.port && (b.address === w.address || b.address === '0.0.0.0' || b.address === '*')));
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const show = (list: readonly UdpEndpoint[]) => list.map((e) => `${e.address}:${e.port}`).join(', ');
  throw new Error(`lab: ${show(wanted)} not bound in ${ns} within ${timeoutMs} ms (bound: ${show(bound) || 'none'})`);
}
