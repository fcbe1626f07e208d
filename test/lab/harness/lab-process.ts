import { spawn, type ChildProcess } from 'node:child_process';
import { OutputBuffer } from './output-buffer.js';

export interface ExecOptions {
  /** Hard limit; the process group is killed (SIGTERM, then SIGKILL) when it is reached. */
  timeoutMs: number;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  /** Characters kept per stream (the tail). Default 1 MiB. */
  maxOutputChars?: number;
}

export interface ExecResult {
  /** Exit code, or null when the process died from a signal (e.g. after a timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Hooks the lab uses to know every pid it started, so close() and the exit net can kill them. */
export interface PidTracker {
  add(pid: number): void;
  remove(pid: number): void;
}

const noTracker: PidTracker = { add: () => undefined, remove: () => undefined };

/**
 * Sends a signal to the process group we created for `pid` (children are spawned detached, so
 * the group id is their pid), falling back to the pid alone. Never looks processes up by name.
 */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Runs argv to completion with a hard time bound. Never throws for a non-zero exit. */
export function runBounded(argv: readonly string[], options: ExecOptions, tracker = noTracker): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('lab: empty argv'));
  const started = performance.now();
  const stdout = new OutputBuffer(options.maxOutputChars);
  const stderr = new OutputBuffer(options.maxOutputChars);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid !== undefined) tracker.add(pid);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid === undefined) return;
      signalPid(pid, 'SIGTERM');
      killTimer = setTimeout(() => signalPid(pid, 'SIGKILL'), 500);
    }, options.timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.append(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.append(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (pid !== undefined) tracker.remove(pid);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (pid !== undefined) tracker.remove(pid);
      resolve({
        code,
        signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        durationMs: Math.round(performance.now() - started),
        timedOut,
      });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A long-running process started by the lab. */
export class LabProcess {
  readonly pid: number;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  private readonly out: OutputBuffer;
  private readonly err: OutputBuffer;
  private readonly combined: OutputBuffer;
  private exitInfo: ExitInfo | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly ns: string,
    readonly argv: readonly string[],
    child: ChildProcess,
    maxOutputChars: number,
    tracker: PidTracker,
  ) {
    if (child.pid === undefined) throw new Error(`lab: could not start ${argv.join(' ')}`);
    this.pid = child.pid;
    this.out = new OutputBuffer(maxOutputChars);
    this.err = new OutputBuffer(maxOutputChars);
    this.combined = new OutputBuffer(maxOutputChars);
    tracker.add(this.pid);
    const onData = (buffer: OutputBuffer) => (chunk: string) => {
      buffer.append(chunk);
      this.combined.append(chunk);
      for (const wake of [...this.waiters]) wake();
    };
    child.stdout?.setEncoding('utf8').on('data', onData(this.out));
    child.stderr?.setEncoding('utf8').on('data', onData(this.err));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        tracker.remove(this.pid);
        for (const wake of [...this.waiters]) wake();
        resolve(this.exitInfo);
      });
    });
  }

  static start(ns: string, argv: readonly string[], maxOutputChars: number, tracker: PidTracker): Promise<LabProcess> {
    const [file, ...args] = argv;
    if (file === undefined) return Promise.reject(new Error('lab: empty argv'));
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(new LabProcess(ns, argv, child, maxOutputChars, tracker)));
    });
  }

  get stdout(): string {
    return this.out.toString();
  }

  get stderr(): string {
    return this.err.toString();
  }

  /** stdout and stderr interleaved in arrival order (bounded). */
  get output(): string {
    return this.combined.toString();
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /**
   * Resolves with the first match of `pattern` in the combined output; rejects on timeout or
   * when the process exits first (the message carries the output tail for diagnosis).
   */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, match?: RegExpExecArray) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(match!);
      };
      const check = () => {
        const match = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(this.output);
        if (match) return finish(undefined, match);
        if (this.exitInfo) finish(this.failure(`exited (${JSON.stringify(this.exitInfo)}) before ${String(pattern)}`));
      };
      const timer = setTimeout(() => finish(this.failure(`no ${String(pattern)} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits up to timeoutMs for a natural exit; undefined if it is still running then. */
  async waitForExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. Idempotent. */
  async stop(options: { graceMs?: number } = {}): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    signalPid(this.pid, 'SIGTERM');
    const graceful = await this.waitForExit(options.graceMs ?? 2000);
    if (graceful) return graceful;
    signalPid(this.pid, 'SIGKILL');
    return this.exited;
  }

  private failure(what: string): Error {
    const tail = this.output.slice(-2000);
    return new Error(`lab: ${this.argv.slice(0, 6).join(' ')} in ${this.ns}: ${what}\n--- output tail ---\n${tail}`);
  }
}
