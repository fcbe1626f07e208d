// The load generator (one child process each; the benchmark runs several): plain dgram sockets
// speaking TURN (Allocate with long-term auth, CreatePermission, ChannelBind, ChannelData).
// Protocol with the parent: set up, print READY, wait for "go" on stdin, run, print one JSON line,
// then keep sockets (and allocations) until "stop" or stdin closes.
import { createInterface } from 'node:readline';
import { bindUdp, TurnClient } from './client.mjs';
import { channelData, FIRST_CHANNEL } from './wire.mjs';

const TICK_MS = 20;
const SETUP_CONCURRENCY = 32;
const HISTOGRAM_MAX_US = 100_000;
const SLICE_MS = 250;

async function inPool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` allocations, each with a channel to one of the echo peers (round robin). */
async function setUpChannels(c) {
  const clients = await inPool(Array.from({ length: c.allocations }), SETUP_CONCURRENCY, async (_, i) => {
    const client = new TurnClient(await bindUdp('127.0.0.1', true), c.server, c.user, c.password);
    await client.allocate();
    await client.bindChannel(FIRST_CHANNEL, c.peers[(c.index + i) % c.peers.length]);
    return client;
  });
  return clients;
}

/** Closed loop: `window` messages in flight per target; each echo sends the next. */
function throughput(c, targets) {
  const payload = Buffer.alloc(c.payload, 0x6e);
  const state = targets.map((target) => ({ target, frame: target.wrap(payload), sent: 0, received: 0, lost: 0, sentTicksAgo: [0, 0] }));
  let running = true;
  let roundTrips = 0;
  const send = (st, n) => {
    for (let k = 0; k < n; k++) st.target.socket.send(st.frame, st.target.dest.port, st.target.dest.address);
    st.sent += n;
  };
  for (const st of state) {
    st.target.onEcho(() => {
      roundTrips++;
      st.received++;
      if (running) send(st, 1);
    });
  }
  // What was sent two ticks ago and is still unanswered is lost (on loopback an echo takes far
  // less than a tick, even on a busy machine), and is replaced to keep the window full.
  const tick = () => {
    for (const st of state) {
      st.lost = Math.max(st.lost, st.sentTicksAgo[1] - st.received);
      st.sentTicksAgo = [st.sent, st.sentTicksAgo[0]];
      const inFlight = st.sent - st.received - st.lost;
      if (running && inFlight < c.window) send(st, c.window - inFlight);
    }
  };
  return measure(c, tick, () => ({ roundTrips, lost: state.reduce((n, st) => n + st.lost, 0) }), () => (running = false));
}

/**
 * Open loop at `rate` round trips/s with a timestamp in each payload, alternating every SLICE_MS
 * between the groups (relayed and direct), so that both see the same background load: per group a
 * histogram of round-trip times (µs).
 */
function latency(c, groups) {
  const state = groups.map((g) => ({ ...g, histogram: new Uint32Array(HISTOGRAM_MAX_US + 1), sent: 0, received: 0, next: 0 }));
  let running = true;
  let scheduled = 0;
  let t0 = performance.now();
  for (const g of state) {
    for (const t of g.targets) {
      t.onEcho((bytes, offset) => {
        g.received++;
        const us = Math.round((performance.now() - bytes.readDoubleLE(offset)) * 1000);
        g.histogram[Math.min(HISTOGRAM_MAX_US, Math.max(0, us))]++;
      });
    }
  }
  const tick = () => {
    if (!running) return;
    const now = performance.now();
    const g = state[Math.floor((now - t0) / SLICE_MS) % state.length];
    // Keep to the schedule, but never burst more than 2 ms worth after a stall (the rest is skipped).
    const due = Math.floor((c.rate * (now - t0)) / 1000);
    const n = Math.min(due - scheduled, Math.ceil(c.rate / 500));
    scheduled = due;
    for (let k = 0; k < n; k++) {
      const t = g.targets[g.next++ % g.targets.length];
      const payload = Buffer.alloc(c.payload);
      payload.writeDoubleLE(performance.now(), 0);
      t.socket.send(t.wrap(payload), t.dest.port, t.dest.address);
      g.sent++;
    }
  };
  const counters = () => {
    const out = {};
    for (const g of state) {
      const histogram = {};
      g.histogram.forEach((count, us) => count > 0 && (histogram[us] = count));
      out[g.name] = { sent: g.sent, received: g.received, histogram };
    }
    return { groups: out };
  };
  return measure(c, tick, counters, () => (running = false), 1, () => {
    for (const g of state) {
      g.histogram.fill(0);
      g.sent = 0;
      g.received = 0;
    }
    t0 = performance.now();
    scheduled = 0;
  });
}

/** Runs `tick` every `tickMs` through warm-up and the measured window; counts cover the window only. */
async function measure(c, tick, counters, halt, tickMs = TICK_MS, resetAfterWarmup) {
  tick();
  const ticker = setInterval(tick, tickMs);
  await sleep(c.warmupMs);
  resetAfterWarmup?.();
  const before = counters();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(c.seconds * 1000);
  const after = counters();
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  halt();
  clearInterval(ticker);
  const delta = {};
  for (const [k, v] of Object.entries(after)) delta[k] = typeof v === 'number' ? v - before[k] : v;
  return { ...delta, elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Where a load generator socket sends, how it frames a payload, and where the echo's payload starts. */
function turnTargets(clients) {
  return clients.map((client) => ({
    socket: client.socket,
    dest: client.server,
    wrap: (payload) => channelData(FIRST_CHANNEL, payload),
    onEcho: (fn) => (client.onChannelData = (msg) => fn(msg, 4)),
  }));
}

/** The same load without the relay: straight to the echo peers. */
async function directTargets(c) {
  return Promise.all(
    Array.from({ length: c.allocations }, async (_, i) => {
      const socket = await bindUdp('127.0.0.1', true);
      return {
        socket,
        dest: c.peers[(c.index + i) % c.peers.length],
        wrap: (payload) => payload,
        onEcho: (fn) => socket.on('message', (msg) => fn(msg, 0)),
      };
    }),
  );
}

/**
 * A loopback source address for the k-th allocation of load generator `index`: 8 per address, as
 * many clients would be (a relay may rate-limit 401 replies per source IP, as natkit does).
 */
function sourceAddress(index, k) {
  const n = Math.floor(k / 8);
  return `127.${10 + index}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * `allocations` fresh allocations, each Allocate -> 401 -> signed Allocate, `window` at a time;
 * none is started after `deadlineMs` (those count as failures "deadline").
 */
async function allocate(c, sockets) {
  const failures = {};
  let ok = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const clients = await inPool(sockets, c.window, async (socket) => {
    const client = new TurnClient(socket, c.server, c.user, c.password);
    if (performance.now() - t0 > c.deadlineMs) {
      failures.deadline = (failures.deadline ?? 0) + 1;
      return client;
    }
    try {
      await client.allocate();
      ok++;
    } catch (e) {
      const key = /error (\d+)/.exec(e.message)?.[1] ?? (/no answer/.test(e.message) ? 'no answer' : e.message.slice(0, 60));
      failures[key] = (failures[key] ?? 0) + 1;
    }
    return client;
  });
  const cpu = process.cpuUsage(cpu0);
  return { result: { ok, failures, elapsed: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }, clients };
}

export async function loadgen([json]) {
  const c = JSON.parse(json);
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const waitFor = async (word) => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done || value.trim() === word) return;
    }
  };
  let closeables = [];
  let run;
  if (c.mode === 'throughput') {
    let targets;
    if (c.server === undefined) {
      targets = await directTargets(c);
      closeables = targets.map((t) => t.socket);
    } else {
      const clients = await setUpChannels(c);
      closeables = clients;
      targets = turnTargets(clients);
    }
    run = () => throughput(c, targets);
  } else if (c.mode === 'latency') {
    const clients = await setUpChannels(c);
    const direct = await directTargets(c);
    closeables = [...clients, ...direct.map((t) => t.socket)];
    run = () => latency(c, [{ name: 'relayed', targets: turnTargets(clients) }, { name: 'direct', targets: direct }]);
  } else if (c.mode === 'allocate') {
    const sockets = await inPool(Array.from({ length: c.allocations }), 64, (_, k) => bindUdp(sourceAddress(c.index, k)));
    closeables = sockets;
    run = async () => {
      const { result, clients } = await allocate(c, sockets);
      closeables = clients;
      return result;
    };
  } else {
    throw new Error(`unknown mode ${c.mode}`);
  }
  console.log('READY');
  await waitFor('go');
  console.log(JSON.stringify(await run()));
  await waitFor('stop');
  for (const x of closeables) x.close();
  process.exit(0);
}
