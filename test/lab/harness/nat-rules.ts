/**
 * nftables rulesets for the lab's NAT routers, one per RFC 4787 behaviour (see
 * test/lab/README.md for where each rule comes from and how it was judged). Pure: text
 * in, text out, so the rules can be read and table-checked without root.
 */

export const natBehaviors = [
  'full-cone',
  'restricted-cone',
  'port-restricted-cone',
  'symmetric-random',
  'symmetric-sequential-256',
  'symmetric-sequential-1',
  'address-dependent-mapping',
] as const;

export type NatBehavior = (typeof natBehaviors)[number];

export interface NatRulesetInput {
  behavior: NatBehavior;
  wanIf: string;
  lanIf: string;
  wanAddress: string;
  /** The single address behind the NAT that the cone emulations forward unsolicited traffic to. */
  insideAddress: string;
  /** Hairpinning: LAN traffic to the WAN address is sent back to the internal endpoint. */
  hairpin: boolean;
  /** Percentage (0-100) of forwarded UDP packets dropped, independently in each direction. */
  lossPercent: number;
  /** Drop every forwarded UDP packet (a network that blocks UDP). */
  blockUdp: boolean;
  /** Random per build: first external port of the sequential allocators, offset of the ADM hash. */
  portOffset: number;
  /** Random per build: seed of the ADM hash. */
  hashSeed: number;
}

/** Random choices made on every build so that a rebuilt NAT never reuses the last run's ports. */
export function pickNatRandomness(random: () => number = Math.random): { portOffset: number; hashSeed: number } {
  return {
    // 10000..43000: leaves room for mod 20000 (step-256 and ADM) and for 2000 consecutive ports.
    portOffset: 10000 + Math.floor(random() * 33000),
    hashSeed: Math.floor(random() * 0xffffffff) >>> 0,
  };
}

/** Sequential allocator, step 1: the numgen value goes through a map so the port is host-order. */
const step1Span = 2000;

function mappingRule(input: NatRulesetInput): string[] {
  const wan = `oifname "${input.wanIf}"`;
  const to = `snat ip to ${input.wanAddress}`;
  switch (input.behavior) {
    case 'full-cone':
    case 'restricted-cone':
    case 'port-restricted-cone':
      return [`${wan} masquerade;`];
    case 'symmetric-random':
      return [`${wan} masquerade random;`];
    case 'symmetric-sequential-256':
      // numgen's host-order value lands byte-swapped in the port field: ports step by 256.
      return [`${wan} meta l4proto udp ${to} : numgen inc mod 20000 offset ${input.portOffset};`, `${wan} masquerade;`];
    case 'symmetric-sequential-1': {
      const entries = Array.from({ length: step1Span }, (_, i) => `${i} : ${input.portOffset + i}`).join(', ');
      return [`${wan} meta l4proto udp ${to} : numgen inc mod ${step1Span} map { ${entries} };`, `${wan} masquerade;`];
    }
    case 'address-dependent-mapping':
      // The internal endpoint is hashed in too: with `ip daddr` alone every socket of the host would
      // get the same external port per destination and the second one would clash in conntrack.
      return [
        `${wan} meta l4proto udp ${to} : jhash ip saddr . udp sport . ip daddr mod 20000 seed ${input.hashSeed} offset ${input.portOffset};`,
        `${wan} masquerade;`,
      ];
  }
}

function filteringRules(input: NatRulesetInput): { prerouting: string[]; sets: string[]; chains: string[] } {
  const wan = `iifname "${input.wanIf}"`;
  switch (input.behavior) {
    case 'full-cone':
      return { prerouting: [`${wan} udp dport 1024-65535 dnat ip to ${input.insideAddress};`], sets: [], chains: [] };
    case 'restricted-cone':
      return {
        prerouting: [`${wan} udp dport . ip saddr @contacted dnat ip to ${input.insideAddress};`],
        sets: ['set contacted { type inet_service . ipv4_addr; flags dynamic,timeout; timeout 2m; }'],
        chains: [
          'chain track { type filter hook forward priority 0; policy accept;',
          `  iifname "${input.lanIf}" meta l4proto udp update @contacted { udp sport . ip daddr };`,
          '}',
        ],
      };
    default:
      return { prerouting: [], sets: [], chains: [] };
  }
}

/**
 * Hairpinning. A map learns, after source NAT, external port -> internal endpoint for every UDP
 * mapping (ct reply proto-dst is the external port); LAN packets addressed to the WAN address are
 * DNATed through it, and source-NATed to the WAN address on the way back into the LAN so the
 * receiver sees an external source (RFC 4787 REQ-9) and its replies come back through the NAT.
 * Works for every mapping behaviour, not just port-preserving ones.
 */
function hairpinRules(input: NatRulesetInput): { prerouting: string[]; postrouting: string[]; sets: string[]; chains: string[] } {
  if (!input.hairpin) return { prerouting: [], postrouting: [], sets: [], chains: [] };
  const lan = `"${input.lanIf}"`;
  return {
    prerouting: [`iifname ${lan} ip daddr ${input.wanAddress} meta l4proto udp dnat ip to udp dport map @hairpin;`],
    postrouting: [`iifname ${lan} oifname ${lan} snat ip to ${input.wanAddress};`],
    sets: ['map hairpin { type inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout 5m; }'],
    chains: [
      'chain learn { type filter hook postrouting priority 300; policy accept;',
      `  oifname "${input.wanIf}" meta l4proto udp ct status snat update @hairpin { ct reply proto-dst : ct original ip saddr . ct original proto-src };`,
      '}',
    ],
  };
}

function firewallTable(input: NatRulesetInput): string[] {
  const forward: string[] = [];
  if (input.blockUdp) forward.push('meta l4proto udp drop;');
  if (input.lossPercent > 0) {
    // One rule per direction, each with a counter, so a test can see what was dropped where.
    const drop = `meta l4proto udp numgen random mod 100 < ${lossThreshold(input.lossPercent)} counter drop;`;
    forward.push(`iifname "${input.lanIf}" ${drop}`, `iifname "${input.wanIf}" ${drop}`);
  }
  return [
    'table ip fw {',
    // New inbound packets addressed to the router itself are dropped, as home routers do: otherwise
    // a peer's first punch is delivered locally and its conntrack entry breaks the next mapping.
    `  chain in { type filter hook input priority 0; policy accept; iifname "${input.wanIf}" ct state new drop; }`,
    `  chain forward { type filter hook forward priority -10; policy accept; ${forward.join(' ')} }`,
    '}',
  ];
}

export function lossThreshold(lossPercent: number): number {
  if (!Number.isInteger(lossPercent) || lossPercent < 0 || lossPercent > 100) {
    throw new RangeError(`lossPercent must be an integer 0..100, got ${lossPercent}`);
  }
  return lossPercent;
}

/** The whole ruleset for one NAT router, for `nft -f -`. */
export function natRuleset(input: NatRulesetInput): string {
  const filtering = filteringRules(input);
  const hairpin = hairpinRules(input);
  return [
    ...firewallTable(input),
    'table ip nat {',
    ...[...filtering.sets, ...hairpin.sets].map((line) => `  ${line}`),
    '  chain prerouting { type nat hook prerouting priority dstnat; policy accept;',
    ...[...hairpin.prerouting, ...filtering.prerouting].map((line) => `    ${line}`),
    '  }',
    '  chain postrouting { type nat hook postrouting priority srcnat; policy accept;',
    ...[...hairpin.postrouting, ...mappingRule(input)].map((line) => `    ${line}`),
    '  }',
    ...[...filtering.chains, ...hairpin.chains].map((line) => `  ${line}`),
    '}',
    '',
  ].join('\n');
}

/** Loss for a host that sits directly on the "internet" (no NAT to drop in): input and output. */
export function hostLossRuleset(lossPercent: number): string {
  const rule = `meta l4proto udp numgen random mod 100 < ${lossThreshold(lossPercent)} counter drop;`;
  return [
    'table ip loss {',
    `  chain in { type filter hook input priority 0; policy accept; ${rule} }`,
    `  chain out { type filter hook output priority 0; policy accept; ${rule} }`,
    '}',
    '',
  ].join('\n');
}
