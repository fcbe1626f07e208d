import { describe, expect, it } from 'vitest';
import {
  CHANNEL_LIFETIME_MS,
  ClientAllocationState,
  MAX_CHANNEL_NUMBER,
  MIN_CHANNEL_NUMBER,
  PERMISSION_LIFETIME_MS,
  type RefreshAction,
} from '../../src/client/client-allocation-state.js';

const peer = { address: '198.51.100.7', port: 4000 };

/** Runs the state from `from` to `until` at each deadline, answering every refresh with success. */
function run(state: ClientAllocationState, from: number, until: number): { at: number; action: RefreshAction }[] {
  const log: { at: number; action: RefreshAction }[] = [];
  let now = from;
  for (let i = 0; i < 10_000; i++) {
    const at = Math.max(now, state.nextDeadline());
    if (at > until) break;
    now = at;
    for (const action of state.due(now)) {
      log.push({ at: now, action });
      if (action.type === 'refresh-allocation') state.allocationRefreshed(600, now);
      else if (action.type === 'refresh-permissions') for (const p of action.peers) state.permissionInstalled(p, now);
      else state.channelBound(action.peer, action.channel, now);
    }
  }
  return log;
}

describe('ClientAllocationState', () => {
  it('refreshes a 600 s allocation one minute before it expires, and again every 540 s', () => {
    const s = new ClientAllocationState(600, 0);
    const log = run(s, 0, 1_200_000);
    expect(log.map((l) => [l.at, l.action.type])).toEqual([
      [540_000, 'refresh-allocation'],
      [1_080_000, 'refresh-allocation'],
    ]);
  });

  it('refreshes a short allocation at half its lifetime', () => {
    const s = new ClientAllocationState(60, 0);
    expect(s.nextDeadline()).toBe(30_000);
  });

  it('keeps a permission alive every 240 s (300 s lifetime, RFC 8656 §9) and a channel every 540 s', () => {
    const s = new ClientAllocationState(3600, 0);
    s.permissionInstalled({ address: '203.0.113.9', port: 1 }, 0);
    s.channelBound(peer, 0x4000, 0);
    const log = run(s, 0, 1_100_000).filter((l) => l.action.type !== 'refresh-allocation');
    const refreshes = (address: string): number[] =>
      log.filter((l) => l.action.type === 'refresh-permissions' && l.action.peers.some((p) => p.address === address)).map((l) => l.at);
    const perms = refreshes('203.0.113.9');
    const channels = log.filter((l) => l.action.type === 'refresh-channel').map((l) => l.at);
    expect(perms).toEqual([240_000, 480_000, 720_000, 960_000]);
    expect(channels).toEqual([540_000, 1_080_000]);
    // The channel's peer needs its permission refreshed too (300 s < 540 s); a rebind also refreshes it.
    expect(refreshes(peer.address)).toEqual([240_000, 480_000, 780_000, 1_020_000]);
    expect(PERMISSION_LIFETIME_MS - 60_000).toBe(240_000);
    expect(CHANNEL_LIFETIME_MS - 60_000).toBe(540_000);
  });

  it('hands a refresh out once, and again 10 s after a failure or silence, until expiry', () => {
    const s = new ClientAllocationState(600, 0);
    expect(s.due(540_000)).toEqual([{ type: 'refresh-allocation' }]);
    expect(s.due(545_000)).toEqual([]);
    expect(s.nextDeadline()).toBe(550_000);
    expect(s.due(550_000)).toEqual([{ type: 'refresh-allocation' }]);
    s.refreshFailed({ type: 'refresh-allocation' });
    expect(s.due(551_000)).toEqual([{ type: 'refresh-allocation' }]);
    expect(s.isAlive(599_999)).toBe(true);
    expect(s.isAlive(600_000)).toBe(false);
  });

  it('forgets a permission that expired (no refresh answered) and stops waking up for it', () => {
    const s = new ClientAllocationState(3600, 0);
    s.permissionInstalled({ address: '203.0.113.9', port: 1 }, 0);
    expect(s.due(240_000)).toEqual([{ type: 'refresh-permissions', peers: [{ address: '203.0.113.9', port: 1 }] }]);
    expect(s.hasPermission('203.0.113.9', 299_999)).toBe(true);
    expect(s.due(300_000)).toEqual([]);
    expect(s.hasPermission('203.0.113.9', 300_000)).toBe(false);
    expect(s.nextDeadline()).toBe(3_540_000);
  });

  it('treats IPv6 spellings of one address as one permission', () => {
    const s = new ClientAllocationState(600, 0);
    s.permissionInstalled({ address: '2001:DB8:0:0::1', port: 1 }, 0);
    expect(s.hasPermission('2001:db8::1', 1)).toBe(true);
  });

  it('binds a channel that also installs the permission, and maps ChannelData back to the peer', () => {
    const s = new ClientAllocationState(600, 0);
    const n = s.channelNumberFor(peer);
    expect(n).toBe(MIN_CHANNEL_NUMBER);
    s.channelBound(peer, n!, 10);
    expect(s.channelFor(peer, 11)).toBe(n);
    expect(s.hasPermission(peer.address, 11)).toBe(true);
    expect(s.peerOf(n!)).toEqual(peer);
    expect(s.channelFor({ ...peer, port: 4001 }, 11)).toBeUndefined();
    expect(s.channelNumberFor(peer)).toBe(n); // a peer keeps its number
  });

  it('runs out of channel numbers after 4096 peers (0x4000-0x4FFF, RFC 8656 §12)', () => {
    const s = new ClientAllocationState(600, 0);
    const seen = new Set<number>();
    for (let i = 0; i <= MAX_CHANNEL_NUMBER - MIN_CHANNEL_NUMBER; i++) {
      const p = { address: '198.51.100.1', port: 1000 + i };
      const n = s.channelNumberFor(p);
      expect(n).toBeGreaterThanOrEqual(MIN_CHANNEL_NUMBER);
      expect(n).toBeLessThanOrEqual(MAX_CHANNEL_NUMBER);
      seen.add(n!);
      s.channelBound(p, n!, 0);
    }
    expect(seen.size).toBe(4096);
    expect(s.channelNumberFor({ address: '198.51.100.2', port: 1 })).toBeUndefined();
  });
});

describe('ClientAllocationState: channels being bound', () => {
  it('maps a requested channel back to its peer before the answer (stream race), and forgets it on failure', () => {
    const s = new ClientAllocationState(600, 0);
    const n = s.channelNumberFor(peer)!;
    s.channelRequested(peer, n);
    expect(s.peerOf(n)).toEqual(peer);
    expect(s.channelFor(peer, 1)).toBeUndefined(); // not for sending until bound
    expect(s.channelNumberFor({ ...peer, port: 1 })).not.toBe(n); // the number is taken
    s.channelRequestFailed(n);
    expect(s.peerOf(n)).toBeUndefined();
  });
});

describe('ClientAllocationState: a bounded set of permissions', () => {
  it('keeps at most maxPermissions alive, dropping the least recently used', () => {
    const s = new ClientAllocationState(3600, 0, { maxPermissions: 3 });
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) s.permissionInstalled({ address: ip, port: 1 }, 0);
    s.permissionUsed({ address: '198.51.100.1', port: 1 }); // now .2 is the least recently used
    s.permissionInstalled({ address: '198.51.100.4', port: 1 }, 1);
    expect(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'].map((ip) => s.hasPermission(ip, 2))).toEqual([true, false, true, true]);
    const refreshed = s.due(241_000).flatMap((a) => (a.type === 'refresh-permissions' ? a.peers.map((p) => p.address) : []));
    expect(refreshed.sort()).toEqual(['198.51.100.1', '198.51.100.3', '198.51.100.4']);
  });
});
