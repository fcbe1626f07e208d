import type { PeerRecord, PresenceStore } from './presence-store.js';

interface Entry {
  record: PeerRecord;
  expiresAt: number;
}

/** The presence store of a single server process: one Map, expiry checked on read and swept. */
export class MemoryPresenceStore implements PresenceStore {
  readonly #entries = new Map<string, Entry>();

  put(record: PeerRecord, ttlMs: number, now: number): Promise<PeerRecord | null> {
    const previous = this.#live(record.peerId, now);
    this.#entries.set(record.peerId, { record, expiresAt: now + ttlMs });
    return Promise.resolve(previous?.record ?? null);
  }

  get(peerId: string, now: number): Promise<PeerRecord | null> {
    return Promise.resolve(this.#live(peerId, now)?.record ?? null);
  }

  touch(peerId: string, sessionId: string, ttlMs: number, now: number): Promise<boolean> {
    const entry = this.#owned(peerId, sessionId, now);
    if (entry !== null) entry.expiresAt = now + ttlMs;
    return Promise.resolve(entry !== null);
  }

  update(peerId: string, sessionId: string, change: Pick<PeerRecord, 'nat' | 'candidates' | 'verified'>, now: number): Promise<boolean> {
    const entry = this.#owned(peerId, sessionId, now);
    if (entry !== null) entry.record = { ...entry.record, nat: change.nat, candidates: change.candidates, ...(change.verified === undefined ? {} : { verified: change.verified }) };
    return Promise.resolve(entry !== null);
  }

  remove(peerId: string, sessionId: string): Promise<boolean> {
    const entry = this.#entries.get(peerId);
    if (entry === undefined || entry.record.sessionId !== sessionId) return Promise.resolve(false);
    this.#entries.delete(peerId);
    return Promise.resolve(true);
  }

  sweep(now: number, limit: number): Promise<number> {
    let removed = 0;
    for (const [peerId, entry] of this.#entries) {
      if (removed >= limit) break;
      if (entry.expiresAt <= now) {
        this.#entries.delete(peerId);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  size(): Promise<number> {
    return Promise.resolve(this.#entries.size);
  }

  close(): Promise<void> {
    this.#entries.clear();
    return Promise.resolve();
  }

  #live(peerId: string, now: number): Entry | null {
    const entry = this.#entries.get(peerId);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now) {
      this.#entries.delete(peerId);
      return null;
    }
    return entry;
  }

  #owned(peerId: string, sessionId: string, now: number): Entry | null {
    const entry = this.#live(peerId, now);
    return entry !== null && entry.record.sessionId === sessionId ? entry : null;
  }
}
