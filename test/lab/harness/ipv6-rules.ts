/**
 * nftables rulesets for a router's IPv6 side (pure: text in, text out). Most IPv6 home routers do
 * not translate: the LAN is routed and globally addressed, and a stateful filter (RFC 6092) lets
 * in only what the LAN asked for. Linux conntrack matches the whole 5-tuple, so that filter is
 * address-and-port-dependent. 'nat66' adds `masquerade` in front (EIM, APDF, ports preserved).
 */
import type { SiteIpv6 } from './topology.js';

export interface Ip6RulesetInput {
  mode: Exclude<SiteIpv6, 'none'>;
  wanIf: string;
  lanIf: string;
  /** Drop every forwarded UDP packet (the 'udp-blocked' topology). */
  blockUdp: boolean;
}

export function ip6Ruleset(input: Ip6RulesetInput): string {
  const wan = `"${input.wanIf}"`;
  const lan = `"${input.lanIf}"`;
  const eif = input.mode === 'firewall-eif';
  const forward = [
    ...(input.blockUdp ? ['meta l4proto udp drop;'] : []),
    // Endpoint-independent filtering: remember every LAN source (address, UDP port) that has
    // sent, refreshed on each packet; inbound UDP to it is let in from anyone.
    ...(eif ? [`iifname ${lan} meta l4proto udp update @opened { ip6 saddr . udp sport };`] : []),
    'ct state established,related accept;',
    `iifname ${lan} oifname ${wan} accept;`,
    ...(eif ? [`iifname ${wan} oifname ${lan} meta l4proto udp ip6 daddr . udp dport @opened accept;`] : []),
    `iifname ${wan} drop;`,
  ];
  const lines = [
    'table ip6 fw {',
    ...(eif ? ['  set opened { type ipv6_addr . inet_service; flags dynamic,timeout; timeout 2m; }'] : []),
    // As on IPv4: new inbound packets to the router itself are dropped (a peer's first punch must
    // not become a local conntrack entry), but ICMPv6 stays open: neighbour discovery needs it.
    `  chain in { type filter hook input priority 0; policy accept; iifname ${wan} meta l4proto ipv6-icmp accept; iifname ${wan} ct state new drop; }`,
    '  chain forward { type filter hook forward priority -10; policy accept;',
    ...forward.map((rule) => `    ${rule}`),
    '  }',
    '}',
  ];
  if (input.mode === 'nat66') {
    lines.push(
      'table ip6 nat {',
      `  chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname ${wan} masquerade; }`,
      '}',
    );
  }
  lines.push('');
  return lines.join('\n');
}
