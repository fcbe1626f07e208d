import type { Candidate } from '../protocol/candidate.js';
import type { WireEndpoint } from '../protocol/fields.js';
import type { NatProfile } from '../protocol/nat-profile.js';

/** What the rendezvous keeps about one registered peer. */
export interface PeerRecord {
  readonly peerId: string;
  /** The session that registered it; with several server processes, it names the process too. */
  readonly sessionId: string;
  readonly observed: WireEndpoint;
  readonly nat: NatProfile;
  readonly candidates: readonly Candidate[];
  /** UDP addresses bound to the peer by an address token (protocol v2), one per family. */
  readonly verified?: readonly WireEndpoint[];
}

/**
 * Every piece of state that several server processes would have to share, behind one interface:
 * the in-memory store now, Redis with the scale-out issue. Methods are async for that reason;
 * `now` is an argument (the caller's clock), TTLs are in ms.
 */
export interface PresenceStore {
  /** Registers `record` for `ttlMs`, replacing any entry for its peer id; returns the one replaced. */
  put(record: PeerRecord, ttlMs: number, now: number): Promise<PeerRecord | null>;
  /** The live entry of a peer id, or null (absent or expired). */
  get(peerId: string, now: number): Promise<PeerRecord | null>;
  /** Extends the entry's TTL if `sessionId` still owns it; false when it does not. */
  touch(peerId: string, sessionId: string, ttlMs: number, now: number): Promise<boolean>;
  /** Replaces the entry's profile and candidates (and verified addresses, when given) if `sessionId` still owns it. */
  update(peerId: string, sessionId: string, change: Pick<PeerRecord, 'nat' | 'candidates' | 'verified'>, now: number): Promise<boolean>;
  /** Removes the entry if `sessionId` owns it (an older session closing leaves the newer one). */
  remove(peerId: string, sessionId: string): Promise<boolean>;
  /** Removes up to `limit` expired entries; returns how many. */
  sweep(now: number, limit: number): Promise<number>;
  /** Live and not yet swept entries. */
  size(): Promise<number>;
  close(): Promise<void>;
}
