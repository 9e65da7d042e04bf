// Subcommands whose implementation has not landed yet: they exist in --help and say so when run.
import type { Command } from 'commander';

export function addPendingCommand(program: Command, name: string, description: string): void {
  program
    .command(name)
    .description(`${description} (not available in this version yet)`)
    .allowUnknownOption()
    .action(() => {
      process.stderr.write(`simplesip ${name}: not available in this version yet\n`);
      process.exitCode = 2;
    });
}
