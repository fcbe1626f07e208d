/**
 * A bounded flood of STUN Binding requests from a lab namespace, with fresh requests timed during
 * and after it (binding-flood.cjs, shared with the server benchmark). Every loop is bounded in time.
 */
import { resolve } from 'node:path';
import type { Lab } from './lab.js';

export interface FloodOptions {
  server: { address: string; port: number };
  /** Length of the flood (at most 20 s). */
  seconds: number;
  /** Requests sent per socket per event-loop turn. Default 64. */
  burst?: number;
  /** Sending sockets. Default 4. */
  sockets?: number;
}

export interface FloodResult {
  sent: number;
  answered: number;
  /** Single-shot fresh requests sent during the flood (one every 100 ms after the first second), and how many got an answer. */
  probes: number;
  probesAnswered: number;
  /** Delays of those answers, in ms (null when none came). */
  probeMedianMs: number | null;
  probeMaxMs: number | null;
  /** Milliseconds from a fresh request's first send to its answer, sent as the flood stops and retransmitted at 0.5 and 1.5 s (null: none within 3 s). */
  freshAfterMs: number | null;
}

const SCRIPT = resolve(import.meta.dirname, 'binding-flood.cjs');

/** Runs the flood and the fresh clients in `ns`, side by side, and returns what they saw. */
export async function runBindingFlood(lab: Lab, ns: string, options: FloodOptions): Promise<FloodResult> {
  const seconds = Math.min(20, Math.max(2, options.seconds));
  const params = JSON.stringify({ server: options.server, seconds, burst: options.burst ?? 64, sockets: options.sockets ?? 4, startAt: Date.now() + 1500 });
  const timeoutMs = seconds * 1000 + 15_000;
  const [flood, probe] = await Promise.all([
    lab.exec(ns, [process.execPath, SCRIPT, 'flood', params], { timeoutMs }),
    lab.exec(ns, [process.execPath, SCRIPT, 'probe', params], { timeoutMs }),
  ]);
  try {
    return { ...(JSON.parse(flood.stdout) as { sent: number; answered: number }), ...(JSON.parse(probe.stdout) as Omit<FloodResult, 'sent' | 'answered'>) };
  } catch {
    throw new Error(`flood: no result (exit ${flood.code}/${probe.code}): ${flood.stdout.slice(0, 200)} ${probe.stdout.slice(0, 200)} ${flood.stderr.slice(0, 200)}`);
  }
}
