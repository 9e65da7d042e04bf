// `simplesip ctl`: the operator's tool, a client of the running server's control API.
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CONTROL_ENV, ControlAddressError, DEFAULT_CONTROL, formatControlAddress, parseControlAddress } from '../control/address.js';
import type { OfflineMessageView, PresenceView, StatsView, UserView, WatcherView } from '../control/api-types.js';
import type { BindingView } from '../control/binding-view.js';
import { ControlApiError, ControlClient, ControlUnreachableError } from '../control/control-client.js';
import { NameError, normalizeAor, normalizeUserAor, parseUserName } from '../control/names.js';
import { CONFIG_ENV, ConfigFileError, configFileFrom, readConfigFile, settingText, type ConfigFile } from './config-file.js';
import { BindingTextStream, bindingsFooter, formatBinding, formatStats, formatUsers, terminalSafe } from './ctl-output.js';
import { PasswordInputError, readPassword } from './password-input.js';

/** Exit codes scripts can rely on (README "simplesip ctl"). */
export const CTL_EXIT = {
  ok: 0,
  /** The AOR, binding or user does not exist. */
  notFound: 1,
  /** Bad arguments (or a request the server refused as malformed). */
  usage: 2,
  /** The control API cannot be reached, or the connection was lost. */
  unreachable: 3,
  /** The user already exists. */
  exists: 4,
  /** The server failed or answered something unexpected. */
  failure: 5,
  /** The server refused this caller: ctl run by a user other than the server's own or root. */
  notAllowed: 6,
} as const;

interface GlobalOptions {
  control?: string;
  config?: string;
  json?: boolean;
}

type CtlAction = (client: ControlClient, options: GlobalOptions, ...args: string[]) => Promise<void>;

function exitCodeFor(err: unknown): number {
  if (err instanceof ControlUnreachableError) return CTL_EXIT.unreachable;
  if (err instanceof ControlApiError) {
    if (err.status === 404) return CTL_EXIT.notFound;
    if (err.status === 409) return CTL_EXIT.exists;
    if (err.status === 403) return CTL_EXIT.notAllowed;
    if (err.status === 400 || err.status === 413 || err.status === 415) return CTL_EXIT.usage;
    return CTL_EXIT.failure;
  }
  if (err instanceof ControlAddressError || err instanceof NameError || err instanceof PasswordInputError || err instanceof ConfigFileError) return CTL_EXIT.usage;
  return CTL_EXIT.failure;
}

/** The `control` setting of a server config file, if it has one. */
function controlOf(file: ConfigFile | undefined): string | undefined {
  const value = file?.settings.get('control');
  return file === undefined || value === undefined ? undefined : settingText(file, 'control', value);
}

/**
 * Where the server's control API is: the first of --control, the `control` of the --config file,
 * $SIMPLESIP_CONTROL, the `control` of the $SIMPLESIP_CONFIG file (without --config), and the
 * server's default. Flags before the environment; the specific before the general.
 */
function controlAddressText(options: GlobalOptions): string {
  if (options.control !== undefined) return options.control;
  if (options.config !== undefined) {
    const fromFile = controlOf(readConfigFile(options.config));
    if (fromFile !== undefined) return fromFile;
  }
  return process.env[CONTROL_ENV]
    ?? (options.config === undefined ? controlOf(configFileFrom(undefined)) : undefined)
    ?? DEFAULT_CONTROL;
}

/** Runs an action against the server found by controlAddressText(), mapping failures to exit codes. */
function run(action: CtlAction): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals<GlobalOptions>();
    const positional = args.slice(0, -2).filter((a): a is string => typeof a === 'string');
    try {
      const address = parseControlAddress(controlAddressText(options));
      await action(new ControlClient(address), options, ...positional);
    } catch (err) {
      process.stderr.write(`simplesip ctl: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = exitCodeFor(err);
    }
  };
}

/**
 * A reader that stops early (`ctl msg list | head -1`) closes our standard output: an EPIPE on the
 * next write, which is the end of the output, not a failure (without a listener Node throws it).
 */
let stdoutGuarded = false;
function write(text: string): void {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  process.stdout.write(terminalSafe(text));
}

/** Checked here too: an empty AOR would make the path of another endpoint. */
function aorPath(aor: string): string {
  return `/ul/${encodeURIComponent(normalizeAor(aor))}`;
}

async function showBindings(client: ControlClient, options: GlobalOptions, aor?: string): Promise<void> {
  if (aor !== undefined) {
    const bindings = await client.get(aorPath(aor)) as BindingView[];
    if (options.json) write(bindings.map((b) => `${JSON.stringify(b)}\n`).join(''));
    else write(bindings.map((b, i) => formatBinding(b, i === 0)).join('') + bindingsFooter(bindings.length, 1));
    return;
  }
  await streamDump(client, options.json === true);
}

/** The whole table, written out as it arrives: NDJSON unchanged with --json, text blocks otherwise. */
async function streamDump(client: ControlClient, json: boolean): Promise<void> {
  const res = await client.stream('/ul', 'application/x-ndjson');
  try {
    if (json) await pipeline(res, process.stdout);
    else await pipeline(res, new BindingTextStream(), process.stdout);
  } catch (err) {
    // A reader that stops early (`ctl ul show | head`) is not an error.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    if (err instanceof SyntaxError) throw new ControlApiError(502, `the control API sent a binding that is not JSON: ${err.message}`);
    throw new ControlUnreachableError(`the connection to the control API at ${formatControlAddress(client.address)} was lost during the dump; the output is incomplete`);
  }
}

async function removeBindings(client: ControlClient, _options: GlobalOptions, aor: string, contact?: string): Promise<void> {
  const query = contact === undefined ? '' : `?contact=${encodeURIComponent(contact)}`;
  const answer = await client.json('DELETE', aorPath(aor) + query) as { aor: string; removed: number };
  write(`removed ${answer.removed} binding${answer.removed === 1 ? '' : 's'} of ${answer.aor}\n`);
}

/** The user as typed (the server normalises escapes, and can still find one stored before it did). */
function userPath(user: string): string {
  const { username, domain } = parseUserName(user, true);
  return `/users/${encodeURIComponent(`${username}@${domain}`)}`;
}

async function addUser(client: ControlClient, _options: GlobalOptions, user: string, password?: string): Promise<void> {
  parseUserName(user); // a typo in the name is reported before the password is asked for
  const answer = await client.json('POST', '/users', { user, password: password ?? await readPassword() }) as { user: string; warning?: string };
  write(`added ${answer.user}\n`);
  if (answer.warning !== undefined) process.stderr.write(`simplesip ctl: warning: ${answer.warning}\n`);
}

async function removeUser(client: ControlClient, _options: GlobalOptions, user: string): Promise<void> {
  const answer = await client.json('DELETE', userPath(user)) as { user: string; bindings?: number; messages?: number };
  const bindings = answer.bindings ?? 0;
  const messages = answer.messages ?? 0;
  write(`removed ${answer.user} with ${bindings} binding${bindings === 1 ? '' : 's'} and ${messages} stored message${messages === 1 ? '' : 's'}\n`);
}

async function changePassword(client: ControlClient, _options: GlobalOptions, user: string, password?: string): Promise<void> {
  const path = `${userPath(user)}/password`;
  const answer = await client.json('PUT', path, { password: password ?? await readPassword() }) as { user: string };
  write(`changed the password of ${answer.user}\n`);
}

async function listUsers(client: ControlClient, options: GlobalOptions, domain?: string): Promise<void> {
  const users = await client.get(domain === undefined ? '/users' : `/users?domain=${encodeURIComponent(domain)}`) as UserView[];
  write(options.json ? `${JSON.stringify(users, null, 2)}\n` : formatUsers(users));
}

async function showStats(client: ControlClient, options: GlobalOptions): Promise<void> {
  const stats = await client.get('/stats') as StatsView;
  write(options.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
}

async function listMessages(client: ControlClient, options: GlobalOptions, aor?: string): Promise<void> {
  const messages = await client.get(aor === undefined ? '/msg' : `/msg?aor=${encodeURIComponent(aor)}`) as OfflineMessageView[];
  if (options.json) {
    write(`${JSON.stringify(messages, null, 2)}\n`);
    return;
  }
  for (const m of messages) {
    const body = m.body.length > 60 ? `${m.body.slice(0, 57)}...` : m.body;
    write(`${String(m.id).padEnd(6)} ${m.receivedAt}  ${m.aor}  from ${m.from}  ${m.contentType ?? '-'} ${m.bytes} B  ${JSON.stringify(body)}\n`);
  }
  write(`${messages.length} stored message${messages.length === 1 ? '' : 's'}\n`);
}

async function removeMessage(client: ControlClient, _options: GlobalOptions, id: string): Promise<void> {
  const answer = await client.json('DELETE', `/msg/${encodeURIComponent(id)}`) as { id: number };
  write(`removed stored message ${answer.id}\n`);
}

function presencePath(aor: string): string {
  return `/presence/${encodeURIComponent(normalizeAor(aor))}`;
}

async function showPresence(client: ControlClient, options: GlobalOptions, aor: string): Promise<void> {
  const view = await client.get(presencePath(aor)) as PresenceView;
  if (options.json) {
    write(`${JSON.stringify(view, null, 2)}\n`);
    return;
  }
  let text = `${view.aor}: ${view.basic}${view.note === null ? '' : ` "${view.note}"`}\n`;
  text += `  devices: ${view.devices.length === 0 ? 'none' : ''}\n`;
  for (const d of view.devices) text += `    ${d.contact}  expires ${d.expires}s  ${d.userAgent ?? '-'}\n`;
  text += `  publications: ${view.publications.length === 0 ? 'none' : ''}\n`;
  for (const p of view.publications) {
    text += `    ETag ${p.etag}  ${p.basic}${p.note === null ? '' : ` "${p.note}"`}  expires ${p.expires}s  from ${p.source}  modified ${p.lastModified}\n`;
  }
  write(text);
}

async function listWatchers(client: ControlClient, options: GlobalOptions, aor: string): Promise<void> {
  const watchers = await client.get(`${presencePath(aor)}/watchers`) as WatcherView[];
  if (options.json) {
    write(`${JSON.stringify(watchers, null, 2)}\n`);
    return;
  }
  for (const w of watchers) {
    write(`${w.watcher.padEnd(32)} ${w.event.padEnd(15)} ${w.state.padEnd(8)} expires ${w.expires}s  to ${w.target}  since ${w.since}\n`);
  }
  write(`${watchers.length} watcher${watchers.length === 1 ? '' : 's'} of ${aor}\n`);
}

function setWatcherRule(decision: 'allow' | 'block'): CtlAction {
  return async (client, _options, aor, watcher) => {
    // Checked here: an empty watcher would make the path /watchers/ (404, exit 1) instead of a usage error.
    normalizeUserAor(aor);
    normalizeUserAor(watcher);
    const path = `${presencePath(aor)}/watchers/${encodeURIComponent(watcher)}`;
    const answer = await client.json('PUT', path, { decision }) as { aor: string; watcher: string };
    write(`${decision === 'allow' ? 'allowed' : 'blocked'} ${answer.watcher} watching ${answer.aor}\n`);
  };
}

export function addCtlCommand(program: Command): void {
  const ctl = program
    .command('ctl')
    .description("operator's tool for a running server: location (ul), users, stats")
    .option('--control <host:port>', `the server's control API (default: $${CONTROL_ENV} or ${DEFAULT_CONTROL})`)
    .option('--config <file>', `the server's config file, whose "control" setting names the control API (default: $${CONFIG_ENV})`)
    // Set before the subcommands are added so they inherit it: any usage error exits 2, which
    // scripts can tell from "not found" (1).
    .exitOverride((err) => process.exit(err.exitCode === 0 ? CTL_EXIT.ok : CTL_EXIT.usage));

  const ul = ctl.command('ul').description('the location service: registered contacts');
  ul.command('show [aor]')
    .description('bindings of one AOR, or of all (streamed: NDJSON with --json, one binding per line)')
    .option('--json', 'one JSON object per binding and line (NDJSON)')
    .action(run(showBindings));
  ul.command('rm <aor> [contact]')
    .description('remove every binding of an AOR, or only the one with this contact URI')
    .action(run(removeBindings));

  const user = ctl.command('user').description('users who may register (digest credentials)');
  user.command('add <user> [password]')
    .description('add USER@DOMAIN; without PASSWORD it is read from a prompt (no echo) or the first line of stdin')
    .action(run(addUser));
  user.command('rm <user>').description('remove USER@DOMAIN').action(run(removeUser));
  user.command('passwd <user> [password]')
    .description("change USER@DOMAIN's password; without PASSWORD it is read like for add")
    .action(run(changePassword));
  user.command('list [domain]')
    .description('list users, of one domain or all')
    .option('--json', 'a JSON array')
    .action(run(listUsers));

  const msg = ctl.command('msg').description('the offline message store: MESSAGEs waiting for users who are away');
  msg.command('list [aor]')
    .description('stored messages, of one AOR or all, oldest first')
    .option('--json', 'a JSON array')
    .action(run(listMessages));
  msg.command('rm <id>').description('remove one stored message (it will not be delivered)').action(run(removeMessage));

  const presence = ctl.command('presence').description('the presence agent: composed state, publications, watchers, authorization');
  presence.command('show <aor>')
    .description('composed state, devices (bindings) and each publication with its ETag and expiry')
    .option('--json', 'a JSON object (includes the composed PIDF document)')
    .action(run(showPresence));
  presence.command('watchers <aor>')
    .description('subscriptions to AOR (presence and presence.winfo) with state and expiry')
    .option('--json', 'a JSON array')
    .action(run(listWatchers));
  presence.command('allow <aor> <watcher>').description('let WATCHER see AOR (a pending subscription becomes active)').action(run(setWatcherRule('allow')));
  presence.command('block <aor> <watcher>')
    .description('block WATCHER politely: its subscription stays, it only ever sees AOR offline')
    .action(run(setWatcherRule('block')));

  ctl.command('stats')
    .description('bindings, AORs, registrations, auth failures, transactions, memory, uptime')
    .option('--json', 'a JSON object')
    .action(run(showStats));
}
