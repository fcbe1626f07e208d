import type { Lab } from './lab.js';
import { requireTool } from './tools.js';

export interface LossCounters {
  /** UDP packets the loss rule dropped on their way out (LAN -> WAN; host output for no-nat). */
  outbound: number;
  /** ... and on their way in (WAN -> LAN; host input for no-nat). */
  inbound: number;
}

/** Reads the packet counters of a site's loss rules (see nat-rules.ts). */
export async function readLossCounters(lab: Lab, site: string): Promise<LossCounters> {
  const host = lab.hosts[site];
  if (!host) throw new Error(`lab: no site ${site}`);
  const nat = lab.nats[site];
  const nft = requireTool('nft');
  const result = nat
    ? await lab.exec(nat.ns, [nft, 'list', 'chain', 'ip', 'fw', 'forward'], { timeoutMs: 5000 })
    : await lab.exec(host.ns, [nft, 'list', 'table', 'ip', 'loss'], { timeoutMs: 5000 });
  const count = (pattern: RegExp) => Number(pattern.exec(result.stdout)?.[1] ?? Number.NaN);
  if (nat) {
    return { outbound: count(/iifname "lan0" .*counter packets (\d+)/), inbound: count(/iifname "wan0" .*counter packets (\d+)/) };
  }
  return { outbound: count(/chain out \{[^}]*counter packets (\d+)/), inbound: count(/chain in \{[^}]*counter packets (\d+)/) };
}
