import { Command, CommanderError, Option } from 'commander';
import { runDiagnose, type DiagnoseFlags, type Io } from './commands/diagnose.js';
import { runListen, type PeerIo } from './commands/listen.js';
import type { PeerFlags } from './commands/peer-common.js';
import { runPing, type PingFlags } from './commands/ping.js';
import { runPipe } from './commands/pipe.js';
import { runRelayCheck, type RelayCheckFlags } from './commands/relay-check.js';
import { runServe, type ServeFlags } from './commands/serve.js';
import { ExitCode } from './exit-codes.js';
import { VERSION } from './version.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stderrIsTty: process.stderr.isTTY,
};

/** Runs `run` with an AbortSignal that SIGINT/SIGTERM abort. */
async function withSignals(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await run(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function peerIo(io: Io, stdin: boolean): PeerIo {
  return { ...io, stdin: stdin ? process.stdin : null, stdoutBytes: (b) => process.stdout.write(b) };
}

const SERVER_HELP = 'the natkit server (`natkit serve`: STUN, relay and rendezvous on one port; 3478 by default)';
const SERVER6_HELP = "the same server's IPv6 address (its STUN port) when --server is IPv4: a second socket, proved to the server, and a direct IPv6 path preferred with dual-stack peers ([addr]:port or a name; the port defaults to --server's)";
const KEY_HELP = 'key file (created, mode 0600, when missing; default ~/.config/natkit/key.pem)';

/** `natkit listen`, `natkit ping`, `natkit pipe` (issue 7: scripts depend on these exact forms). */
function addPeerCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('listen')
    .description('register at a natkit server and stay up: answer pings, print what a `natkit pipe` peer sends (stdin goes back to it)')
    .option('--server <host[:port]>', SERVER_HELP)
    .option('--server6 <host[:port]>', SERVER6_HELP)
    .option('--key <file>', KEY_HELP)
    .option('--json', 'first stdout line: {"type":"listening","peer":"nk1..."}')
    .option('--log-level <level>', 'debug for connection details on stderr')
    .action(async (flags: PeerFlags) => {
      setExit(await withSignals((signal) => runListen(flags, peerIo(io, true), signal)));
      process.stdin.destroy();
    });
  program
    .command('ping')
    .description('connect to a peer (relay first, then direct) and ping it: one line per pong with its path and RTT')
    .argument('<peer>', 'peer id (nk1...) as `natkit listen` prints it')
    .option('--server <host[:port]>', SERVER_HELP)
    .option('--server6 <host[:port]>', SERVER6_HELP)
    .option('--key <file>', KEY_HELP)
    .option('--count <n>', 'pings to send (default 4)')
    .option('--interval <ms>', 'time between pings (default 1000)')
    .option('--json', 'one JSON object per line: type "pong" (seq, rttMs, path, address, family), then type "summary" (sent, received, path, family, address, connectMs, directMs)')
    .option('--log-level <level>', 'debug for connection details on stderr')
    .addHelpText('after', '\nExit codes: 0 pongs came back, 1 error, 2 usage, 6 the peer could not be reached or no pong came back.')
    .action(async (target: string, flags: PingFlags) => {
      setExit(await withSignals((signal) => runPing(flags, target, peerIo(io, false), signal)));
    });
  program
    .command('pipe')
    .description('netcat between peers: stdin to the peer, what it sends to stdout (datagrams: unordered, may be lost)')
    .argument('<peer>', 'peer id (nk1...) of a `natkit listen`')
    .option('--server <host[:port]>', SERVER_HELP)
    .option('--server6 <host[:port]>', SERVER6_HELP)
    .option('--key <file>', KEY_HELP)
    .option('--log-level <level>', 'debug for connection details on stderr')
    .addHelpText('after', '\nExit codes: 0 done, 1 error, 2 usage, 6 the peer could not be reached.')
    .action(async (target: string, flags: PeerFlags) => {
      setExit(await withSignals((signal) => runPipe(flags, target, peerIo(io, true), signal)));
      process.stdin.destroy();
    });
}

/** `natkit diagnose`: the NAT behavior between this host and STUN servers. */
function addDiagnoseCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('diagnose')
    .description('classify the NAT/PAT between this host and STUN servers (RFC 4787 / RFC 5780)')
    .addOption(new Option('-s, --server <host[:port]>', 'STUN server (repeatable); default: built-in public RFC 5780 servers').argParser(collect))
    .option('--json', 'print one JSON object (schemaVersion 1)')
    .option('-4, --ipv4', 'test IPv4 only')
    .option('-6, --ipv6', 'test IPv6 only')
    .option('--hairpin', 'also test hairpinning (sends to your own external address)')
    .option('--lifetime [seconds]', 'also measure the mapping lifetime, up to SECONDS (default 300); takes minutes')
    .option('--timeout <ms>', 'how long to wait for the first server answer (default 2000)')
    .addHelpText(
      'after',
      '\nExit codes: 0 complete, 1 error, 2 usage, 3 UDP blocked (no server answered), 4 incomplete (see warnings).',
    )
    .action(async (flags: DiagnoseFlags) => {
      setExit(await runDiagnose(flags, io));
    });
}

/** `natkit relay-check`: any TURN server, end to end. */
function addRelayCheckCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('relay-check')
    .description('check a TURN server (any, not only natkit): allocate, relay to ourselves and back, report RTT and features')
    .option('--server <host[:port]>', 'TURN server (port 3478 by default, 5349 with --transport tls)')
    .option('--user <name:pass>', 'long-term credentials (split at the first colon)')
    .option('--auth-secret <secret>', 'TURN REST API shared secret (coturn use-auth-secret): ephemeral credentials are made from it')
    .option('--transport <udp|tcp|tls>', 'how to reach the server (default udp)')
    .option('--insecure', 'with --transport tls: accept any certificate (self-signed test servers)')
    .option('--json', 'print one JSON object (schemaVersion 1) with at least ok and rttMs')
    .addHelpText(
      'after',
      '\nExit codes: 0 the relay works, 2 usage, 5 it does not (the report says why: wrong credentials, forbidden, no answer, relay refused).',
    )
    .action(async (flags: RelayCheckFlags) => {
      setExit(await runRelayCheck(flags, io));
    });
}

/** Builds the command tree; `run` receives each command's exit code. */
export function createProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('natkit')
    .description('NAT traversal toolkit: diagnose NAT/PAT behavior, run a self-hosted STUN and TURN server, check any TURN server')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  addDiagnoseCommand(program, io, setExit);
  program
    .command('serve')
    .description('run the self-hosted server: STUN (RFC 5780 behavior discovery with two addresses) and the TURN relay on the same port')
    .option('--address <ip>', 'address to serve on (default 0.0.0.0: every IPv4 address, a socket each, following changes; :: for IPv6)')
    .option('--alternate-address <ip>', 'second IP for RFC 5780 tests (enables CHANGE-REQUEST, OTHER-ADDRESS)')
    .option('--address6 <ip>', 'also serve STUN on this IPv6 address, same port (with an IPv4 --address): dual-stack peers prove their IPv6 address to the rendezvous there')
    .option('--alternate-address6 <ip>', 'second IPv6 address for RFC 5780 tests over IPv6 (with --address6)')
    .option('--port <port>', 'UDP port (default 3478)')
    .option('--alternate-port <port>', 'second port for RFC 5780 tests (default: port + 1)')
    .option('--other-address <mode>', "OTHER-ADDRESS on the alternate IP: rfc5780 (default) or coturn (what turnutils_natdiscovery expects)")
    .option('--advertise-address <ip>', 'public IP to announce for --address behind a 1:1 NAT (RESPONSE-ORIGIN, OTHER-ADDRESS)')
    .option('--advertise-alternate-address <ip>', 'public IP to announce for --alternate-address behind a 1:1 NAT')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (default info)')
    .addOption(new Option('--user <name:password>', 'TURN long-term credentials (repeatable)').argParser(collect))
    .addOption(new Option('--auth-secret <secret>', 'TURN REST API shared secret, coturn use-auth-secret (repeatable: rotation)').argParser(collect))
    .option('--realm <realm>', 'TURN realm (default natkit)')
    .option('--relay-ports <low-high>', 'relay port range (default 49152-65535)')
    .addOption(new Option('--relay-address <ip>', 'address to bind relay sockets on, one per family (repeatable)').argParser(collect))
    .addOption(new Option('--advertise-relay-address <ip>', 'public IP to announce as the relayed address behind a 1:1 NAT, one per family (repeatable)').argParser(collect))
    .addOption(new Option('--allow-peer <cidr>', 'open a peer range that is refused by default, e.g. 127.0.0.0/8 for tests (repeatable)').argParser(collect))
    .addOption(new Option('--deny-peer <cidr>', 'refuse a peer range (repeatable; wins over --allow-peer)').argParser(collect))
    .option('--user-quota <n>', 'allocations per user (486 beyond; default 64)')
    .option('--total-quota <n>', 'allocations in total (508 beyond; default 10000)')
    .option('--permission-quota <n>', 'peer permissions per allocation (default 64)')
    .option('--channel-quota <n>', 'channels per allocation (default 64)')
    .option('--max-bps <bytes>', 'relayed bytes per second per allocation and direction (default 0: unlimited)')
    .option('--rfc5766-channel-numbers', 'also accept channels 0x5000-0x7FFF (RFC 5766), as older clients such as coturn 4.6 turnutils_uclient pick them')
    .option('--tls-cert <file>', 'PEM certificate: TURN over TLS on --tls-port and on the main TCP port (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-port <port>', 'TURN over TLS port (default 5349; needs --tls-cert and --tls-key)')
    .option('--workers <n>', 'TURN relay worker processes (default 1: one process). N > 1: with batched UDP I/O (the Linux addon) or on a Node with dgram reusePort (>= 22.12) the workers share the UDP port (SO_REUSEPORT), else UDP Allocates are redirected (300 ALTERNATE-SERVER) to a worker port each; TCP/TLS shared by the workers; IPv6 (--address6) stays in the primary, with the rendezvous')
    .option('--worker-port <port>', 'UDP port of the first worker, the others follow (default: after --port and --alternate-port)')
    .option('--no-relay', 'serve STUN only, no TURN relay')
    .action(async (flags: ServeFlags) => {
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        setExit(await runServe(flags, io, stop.signal));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  addRelayCheckCommand(program, io, setExit);
  addPeerCommands(program, io, setExit);
  return program;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    io.stderr(`natkit: ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.Error;
  }
  return code;
}
