#!/usr/bin/env node
// The one executable: `simplesip server | client | ctl`.
import { Command } from 'commander';
import { addServerCommand } from './server-command.js';
import { addClientCommand } from './client-command.js';
import { addCtlCommand } from './ctl-command.js';

const program = new Command('simplesip')
  .description('SIP/SIMPLE instant messaging and presence: server, client and operator tool')
  .version('0.1.0')
  .showHelpAfterError();

addServerCommand(program);
addClientCommand(program);
addCtlCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`simplesip: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
