import type { DropReason } from './drop-reason.js';

/** What happened to a packet at one point of its path. */
export type TraceEvent = 'send' | 'nat-outbound' | 'nat-inbound' | 'forward' | 'deliver' | 'drop' | 'duplicate';

/**
 * One line of the packet trace. Endpoints are text (`1.2.3.4:5`) so that two traces compare
 * with `toEqual` and print readably.
 */
export interface TraceEntry {
  readonly at: number;
  /** Packet number, in order of sending (a duplicate gets its own). */
  readonly packet: number;
  readonly event: TraceEvent;
  readonly node: string;
  readonly src: string;
  readonly dst: string;
  readonly size: number;
  readonly reason?: DropReason;
}

/** `12.5ms #3 nat-outbound natA 10.0.1.2:5000 > 203.0.113.1:3478 (20 B)` */
export function formatTraceEntry(e: TraceEntry): string {
  const reason = e.reason === undefined ? '' : ` [${e.reason}]`;
  return `${e.at}ms #${e.packet} ${e.event} ${e.node} ${e.src} > ${e.dst} (${e.size} B)${reason}`;
}
