import { Command, CommanderError, Option } from 'commander';
import { runDiagnose, type DiagnoseFlags, type Io } from './commands/diagnose.js';
import { runServe, type ServeFlags } from './commands/serve.js';
import { ExitCode } from './exit-codes.js';
import { VERSION } from './version.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stderrIsTty: process.stderr.isTTY,
};

/** Builds the command tree; `run` receives each command's exit code. */
export function createProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('natkit')
    .description('NAT traversal toolkit: diagnose NAT/PAT behavior, run a self-hosted STUN server')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

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
  program
    .command('serve')
    .description('run the self-hosted server: STUN, with RFC 5780 behavior discovery when given two addresses')
    .option('--address <ip>', 'address to serve on (default 0.0.0.0: every IPv4 address, a socket each, following changes; :: for IPv6)')
    .option('--alternate-address <ip>', 'second IP for RFC 5780 tests (enables CHANGE-REQUEST, OTHER-ADDRESS)')
    .option('--port <port>', 'UDP port (default 3478)')
    .option('--alternate-port <port>', 'second port for RFC 5780 tests (default: port + 1)')
    .option('--other-address <mode>', "OTHER-ADDRESS on the alternate IP: rfc5780 (default) or coturn (what turnutils_natdiscovery expects)")
    .option('--advertise-address <ip>', 'public IP to announce for --address behind a 1:1 NAT (RESPONSE-ORIGIN, OTHER-ADDRESS)')
    .option('--advertise-alternate-address <ip>', 'public IP to announce for --alternate-address behind a 1:1 NAT')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (default info)')
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
