// Child processes of the relay benchmark: start, watch, measure (/proc) and stop them by pid.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';

const children = new Set();

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * NATKIT_BENCH_PIN=1: the relay under test gets a CPU of its own (the last one) and everything
 * else (this process, so the load generators and echo peers it starts) the others, so that the
 * latency phase measures the relay rather than its wait for a CPU the harness holds. Each relay
 * then has one core: the multi-core columns are not comparable in this mode.
 */
export const pinning = (() => {
  if (process.env.NATKIT_BENCH_PIN !== '1') return undefined;
  const n = cpus().length;
  if (n < 2) throw new Error('NATKIT_BENCH_PIN=1 needs at least 2 CPUs');
  return { relay: String(n - 1), harness: n === 2 ? '0' : `0-${n - 2}` };
})();

/** Pins this process (all its threads; its children inherit it) to the harness CPUs. */
export function pinHarness() {
  if (pinning !== undefined) execFileSync('taskset', ['-a', '-p', '-c', pinning.harness, String(process.pid)], { stdio: 'ignore' });
}

/** Starts a child (own stdio pipes); tracked so that killAll() can end it by pid. `relay`: pinned to the relay's CPU (NATKIT_BENCH_PIN). */
export function start(command, argv, { relay = false, ...options } = {}) {
  const pinned = relay && pinning !== undefined;
  // taskset execs the command: the pid stays the relay's own.
  const child = spawn(pinned ? 'taskset' : command, pinned ? ['-c', pinning.relay, command, ...argv] : argv, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.on('error', () => {});
  child.stdin.on('error', () => {});
  child.on('exit', () => children.delete(child));
  child.output = '';
  const keep = (d) => {
    child.output = (child.output + d).slice(-8192);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // NATKIT_BENCH_RELAY_LOG=DIR: each relay's stdout and stderr also go to DIR/<pid>.log (for
  // diagnosis, e.g. with NATKIT_BENCH_NODE_ARGS=--trace-gc).
  if (relay && process.env.NATKIT_BENCH_RELAY_LOG) {
    const log = createWriteStream(join(process.env.NATKIT_BENCH_RELAY_LOG, `${child.pid}.log`));
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  return child;
}

export const isRunning = (child) => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stop(child, graceMs = 2000) {
  if (!isRunning(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => isRunning(child) && process.kill(child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Last resort (watchdog, signals): SIGKILL every child still running, by pid. */
export function killAll() {
  for (const child of children) {
    try {
      if (isRunning(child)) process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Resolves with the first stdout line that matches, rejects on exit or after `ms`. */
export function waitForLine(child, predicate, ms, what) {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d) => {
      buffered += d;
      let i;
      while ((i = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (predicate(line)) return finish(resolve, line);
      }
    };
    const onExit = (code, signal) => finish(reject, new Error(`${what}: exited (${code ?? signal}): ${lastLine(child)}`));
    const timer = setTimeout(() => finish(reject, new Error(`${what}: no answer in ${ms} ms`)), ms);
    function finish(fn, value) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      fn(value);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

export function lastLine(child) {
  const lines = child.output.trim().split('\n').filter(Boolean);
  // A child that died of an exception ends with Node's version line: say the error instead.
  const error = /^Node\.js v/.test(lines.at(-1) ?? '') ? lines.findLast((l) => /^\w*Error\b/.test(l.trim())) : undefined;
  return (error ?? lines.at(-1))?.slice(0, 300) ?? '(no output)';
}

function statOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, ppid 4, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** pid and every descendant (cluster workers, threads are already in the pid's own figures). */
export function processTree(pid) {
  const byParent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = statOf(entry);
    if (s === undefined) continue;
    if (!byParent.has(s.ppid)) byParent.set(s.ppid, []);
    byParent.get(s.ppid).push(Number(entry));
  }
  const out = [pid];
  for (let i = 0; i < out.length && out.length < 1000; i++) out.push(...(byParent.get(out[i]) ?? []));
  return out;
}

/** CPU-seconds (user + system, /proc/PID/stat) of a process and its descendants. */
export function treeCpuSeconds(pid) {
  return processTree(pid).reduce((sum, p) => sum + (statOf(p)?.cpu ?? 0), 0);
}

/** Resident memory (VmRSS, bytes) of a process and its descendants. */
export function treeRssBytes(pid) {
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return sum;
}
