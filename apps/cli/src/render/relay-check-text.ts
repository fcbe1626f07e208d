import type { RelayCheckReport, Support } from '@natkit/turn';

const yesNo = (s: Support): string => (s === null ? 'unknown' : s ? 'yes' : 'no');

/** The human-readable report of `natkit relay-check`. */
export function renderRelayCheck(r: RelayCheckReport): string {
  const head = `TURN server ${r.server} over ${r.transport.toUpperCase()}: ${r.ok ? 'OK, relays both ways' : 'FAILED'}`;
  const lines = [head];
  if (r.error !== null) lines.push(`  why               ${r.error.message}`);
  const row = (label: string, value: string | null): void => {
    if (value !== null) lines.push(`  ${label.padEnd(18)}${value}`);
  };
  row('redirected to', r.redirectedTo);
  row('server software', r.software);
  row('relayed address', r.relayedAddress);
  row('mapped address', r.mappedAddress);
  row('lifetime', r.lifetimeSeconds === null ? null : `${r.lifetimeSeconds} s`);
  if (r.echoes.sent > 0) {
    const via = r.dataPath === 'channel-data' ? ', via ChannelData' : r.dataPath === 'indications' ? ', via Send/Data indications' : '';
    row('round trip', `${r.rttMs === null ? '-' : `${r.rttMs.toFixed(2)} ms`} (${r.echoes.received} of ${r.echoes.sent} echoes back${via})`);
  }
  if (r.relayedAddress !== null) {
    const s = r.supports;
    row('supports', `SHA-256 integrity: ${yesNo(s.sha256Integrity)}, IPv6 relay: ${yesNo(s.ipv6)}, TCP: ${yesNo(s.tcp)}`);
  }
  return `${lines.join('\n')}\n`;
}
