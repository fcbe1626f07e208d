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

/** Pairs whose second half has not come back yet, at most (older ones are forgotten as lost). */
const MAX_PENDING_PAIRS = 65_536;
/** One relayed packet in PAIR_EVERY gets a direct twin (the harness's extra load stays small). */
const PAIR_EVERY = 4;
const UNPAIRED = 0xffffffff;

/**
 * Open loop at `rate` round trips/s through the relay, one packet in PAIR_EVERY paired with the
 * same payload sent at the same moment straight to the same echo peer: per group a histogram of
 * round-trip times (µs), and per pair whose halves both came back the relay's added latency,
 * relayed minus direct (a histogram of signed µs). Both halves of a pair wait for the same load
 * generator and echo, so a stall of either (a busy machine) is in both and cancels out; what
 * remains is the relay's.
 */
function latency(c, relayedTargets, directTargets) {
  const groups = [relayedTargets, directTargets].map((targets) => ({ targets, histogram: new Uint32Array(HISTOGRAM_MAX_US + 1), sent: 0, received: 0 }));
  const added = new Uint32Array(2 * HISTOGRAM_MAX_US + 1); // index = added µs + HISTOGRAM_MAX_US
  const pending = new Map(); // pair sequence -> [group, µs] of the half that came back first
  const outliers = []; // [wall ms, added µs] of pairs with more than 1 ms added (for diagnosis)
  let running = true;
  let scheduled = 0;
  let seq = 0;
  let next = 0;
  let t0 = performance.now();
  groups.forEach((g, gi) => {
    for (const t of g.targets) {
      t.onEcho((bytes, offset) => {
        if (bytes.length < offset + 12) return; // not one of ours
        g.received++;
        const us = Math.round((performance.now() - bytes.readDoubleLE(offset)) * 1000);
        g.histogram[Math.min(HISTOGRAM_MAX_US, Math.max(0, us))]++;
        const pair = bytes.readUInt32LE(offset + 8);
        if (pair === UNPAIRED) return;
        const first = pending.get(pair);
        if (first === undefined) {
          pending.set(pair, [gi, us]);
          if (pending.size > MAX_PENDING_PAIRS) pending.delete(pending.keys().next().value);
        } else if (first[0] !== gi) {
          pending.delete(pair);
          const diff = gi === 0 ? us - first[1] : first[1] - us;
          added[Math.min(2 * HISTOGRAM_MAX_US, Math.max(0, diff + HISTOGRAM_MAX_US))]++;
          if (diff > 1000 && outliers.length < 4096) outliers.push([Date.now(), diff]);
        }
      });
    }
  });
  const tick = () => {
    if (!running) return;
    const now = performance.now();
    // Keep to the schedule, but never burst more than 2 ms worth after a stall (the rest is skipped).
    const due = Math.floor((c.rate * (now - t0)) / 1000);
    const n = Math.min(due - scheduled, Math.ceil(c.rate / 500));
    scheduled = due;
    for (let k = 0; k < n; k++) {
      const i = next % relayedTargets.length;
      const paired = next++ % PAIR_EVERY === 0;
      const payload = Buffer.alloc(c.payload);
      payload.writeDoubleLE(performance.now(), 0);
      payload.writeUInt32LE(paired ? seq++ % UNPAIRED : UNPAIRED, 8);
      for (const g of paired ? groups : groups.slice(0, 1)) {
        const t = g.targets[i];
        t.socket.send(t.wrap(payload), t.dest.port, t.dest.address);
        g.sent++;
      }
    }
  };
  const counters = () => {
    const sparse = (h, offset) => {
      const out = {};
      h.forEach((count, at) => count > 0 && (out[at - offset] = count));
      return out;
    };
    const [relayed, direct] = groups.map((g) => ({ sent: g.sent, received: g.received, histogram: sparse(g.histogram, 0) }));
    return { groups: { relayed, direct, added: { histogram: sparse(added, HISTOGRAM_MAX_US) } }, outliers: [...outliers] };
  };
  return measure(c, tick, counters, () => (running = false), 1, () => {
    for (const g of groups) {
      g.histogram.fill(0);
      g.sent = 0;
      g.received = 0;
    }
    added.fill(0);
    outliers.length = 0;
    pending.clear();
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
    run = () => latency(c, turnTargets(clients), direct);
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
