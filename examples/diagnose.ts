import { createConsoleLogger } from '@natkit/net';
import { diagnose, startStunServer } from '@natkit/stun';

// A local RFC 5780 server (127.0.0.1 and 127.0.0.2: the whole 127/8 is loopback on Linux). Point
// `servers` at your own deployment instead, e.g. 'stun.example.org:3478' or ['192.0.2.1:3478'].
await using server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' } });
const report = await diagnose(
  { servers: server.addresses().slice(0, 1), hairpin: true, signal: AbortSignal.timeout(10_000) },
  { logger: createConsoleLogger({ level: 'warn' }) }, // network and clock default to the real ones
);
console.log(report.ipv4?.classic, report.ipv4?.outlook.verdict); // open-internet direct
