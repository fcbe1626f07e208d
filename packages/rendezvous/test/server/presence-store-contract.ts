import { describe, expect, it } from 'vitest';
import type { PeerRecord, PresenceStore } from '../../src/index.js';
import { candidatesOf, portRestricted, symmetricSequential } from '../fixtures.js';

function record(peerId: string, sessionId: string): PeerRecord {
  return { peerId, sessionId, observed: { address: '127.0.0.1', port: 1000 }, nat: portRestricted, candidates: candidatesOf(1) };
}

/**
 * What every PresenceStore must do (the in-memory one now, Redis later): run it against each
 * implementation. `create` returns a fresh, empty store.
 */
export function describePresenceStoreContract(name: string, create: () => Promise<PresenceStore>): void {
  describe(`PresenceStore contract: ${name}`, () => {
    it('put then get; an absent peer is null', async () => {
      const store = await create();
      expect(await store.put(record('a', 's1'), 1_000, 0)).toBeNull();
      expect(await store.get('a', 10)).toEqual(record('a', 's1'));
      expect(await store.get('b', 10)).toBeNull();
      expect(await store.size()).toBe(1);
      await store.close();
    });

    it('a second put returns the record it replaced (the older session)', async () => {
      const store = await create();
      await store.put(record('a', 's1'), 1_000, 0);
      expect(await store.put(record('a', 's2'), 1_000, 5)).toEqual(record('a', 's1'));
      expect((await store.get('a', 6))?.sessionId).toBe('s2');
      await store.close();
    });

    it('entries expire after their TTL; touch by the owner extends it, by another session does not', async () => {
      const store = await create();
      await store.put(record('a', 's1'), 100, 0);
      expect(await store.touch('a', 's2', 100, 50)).toBe(false);
      expect(await store.touch('a', 's1', 100, 50)).toBe(true);
      expect(await store.get('a', 149)).not.toBeNull();
      expect(await store.get('a', 150)).toBeNull();
      expect(await store.touch('a', 's1', 100, 151)).toBe(false);
      await store.close();
    });

    it('expired entries do not count as replaced', async () => {
      const store = await create();
      await store.put(record('a', 's1'), 100, 0);
      expect(await store.put(record('a', 's2'), 100, 100)).toBeNull();
      await store.close();
    });

    it('remove only by the owning session: an old session closing leaves the new one', async () => {
      const store = await create();
      await store.put(record('a', 's1'), 1_000, 0);
      await store.put(record('a', 's2'), 1_000, 1);
      expect(await store.remove('a', 's1')).toBe(false);
      expect((await store.get('a', 2))?.sessionId).toBe('s2');
      expect(await store.remove('a', 's2')).toBe(true);
      expect(await store.get('a', 3)).toBeNull();
      await store.close();
    });

    it('update replaces profile and candidates for the owner only', async () => {
      const store = await create();
      await store.put(record('a', 's1'), 1_000, 0);
      expect(await store.update('a', 's2', { nat: symmetricSequential, candidates: [] }, 1)).toBe(false);
      expect(await store.update('a', 's1', { nat: symmetricSequential, candidates: candidatesOf(9) }, 1)).toBe(true);
      expect(await store.get('a', 2)).toMatchObject({ nat: symmetricSequential, candidates: candidatesOf(9), sessionId: 's1' });
      await store.close();
    });

    it('sweep removes expired entries, at most `limit` per call', async () => {
      const store = await create();
      for (let i = 0; i < 10; i++) await store.put(record(`p${i}`, `s${i}`), i < 7 ? 10 : 1_000, 0);
      expect(await store.sweep(20, 5)).toBe(5);
      expect(await store.sweep(20, 5)).toBe(2);
      expect(await store.size()).toBe(3);
      expect(await store.get('p8', 20)).not.toBeNull();
      await store.close();
    });
  });
}
