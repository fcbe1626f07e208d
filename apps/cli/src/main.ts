import { Command } from 'commander';

/** Runs the CLI; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('natkit').description('NAT traversal toolkit');
  await program.parseAsync([...argv]);
  return 0;
}
