// `simplesip client`: the user agent for people (chat) and scripts (send, watch, register).
// Every way out (/quit, end of input, SIGINT, SIGTERM, SIGHUP) unregisters first, within the
// close timeout, so no binding is left behind.
import type { Command } from 'commander';
import { SipClientError, UserAgent, type SipClientErrorCode } from '../index.js';
import { loadAccount, UsageError, type AccountFlags } from './client-account.js';
import { runChat } from './client-chat.js';
import { exitProcess } from './hung-up-terminal.js';

/** Exit codes scripts can rely on (README "Client"). */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, auth: 4 } as const;

const CODE_FOR: Record<SipClientErrorCode, number> = {
  'auth-failed': EXIT.auth,
  unreachable: EXIT.unreachable,
  'resolution-failed': EXIT.unreachable,
  rejected: EXIT.refused,
  closed: EXIT.refused,
  'invalid-option': EXIT.usage,
};

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function accountOptions(cmd: Command): Command {
  return cmd
    .option('--user <aor>', 'the account, e.g. sip:alice@example.com ($SIMPLESIP_USER)')
    .option('--server <uri>', 'registrar as a SIP URI, e.g. sip:example.com or "sip:[2001:db8::1]:5070;transport=tcp" ($SIMPLESIP_SERVER; default: the domain of --user)')
    .option('--outbound-proxy <uri>', 'send every request through this SIP URI')
    .option('--transport <proto>', 'udp, tcp, tls, ws or wss when the server URI names none')
    .option('--password-file <file>', 'first line is the password (else $SIMPLESIP_PASSWORD, else a prompt on a terminal)')
    .option('--config <file>', 'JSON config file (default $SIMPLESIP_CLIENT_CONFIG or ~/.config/simplesip/client.json)')
    .option('--display-name <name>', 'display name in From')
    .option('--local-ports <range>', 'local UDP ports to try, first free wins (default 5060-5160; 0 = any)')
    .option('--state-dir <dir>', 'where the RFC 5626 instance id is kept (default $XDG_STATE_HOME/simplesip)')
    .option('--expires <seconds>', 'registration expiry to ask for (default 600)')
    .option('--buddy <user>', 'watch this buddy\'s presence (repeatable)', collect)
    .option('--close-timeout <ms>', 'longest time spent unregistering on exit (default 2000)')
    .option('--tls-ca <file>', 'PEM certificates to trust for tls/wss servers, besides the system\'s');
}

function fail(err: unknown): never {
  if (err instanceof UsageError) {
    process.stderr.write(`simplesip client: ${err.message}\n`);
    process.exit(EXIT.usage);
  }
  if (err instanceof SipClientError) {
    process.stderr.write(`simplesip client: ${err.message}\n`);
    process.exit(CODE_FOR[err.code]);
  }
  throw err;
}

/** How the command will end: its exit code so far, and whether it is on its way out. */
interface Ending {
  code: number;
  leaving: boolean;
}

/**
 * Closes the UA (unregistering first) on the first way out, then exits with `ending.code`, or the
 * un-REGISTER's failure when that is all that went wrong. The ways out: `done`, a signal, the reader
 * of our output gone (`watch | head -1`: EPIPE), and an error nobody caught.
 */
function exitCleanly(ua: UserAgent, done: Promise<void>, ending: Ending): void {
  const leave = (): void => {
    if (ending.leaving) return;
    ending.leaving = true;
    ua.close().then((closed) => {
      if (closed.error === undefined) return;
      process.stderr.write(`simplesip client: ${closed.error.message}\n`);
      if (ending.code === EXIT.ok) ending.code = CODE_FOR[closed.error.code];
    }, () => undefined).finally(() => exitProcess(ending.code));
  };
  for (const s of SIGNALS) process.on(s, leave);
  process.stdout.on('error', leave);
  // A terminal that hung up fails our writes with EIO: what we had to say is lost, and leave() runs
  // on the SIGHUP or the end of input that comes with it.
  process.stderr.on('error', () => undefined);
  const crashed = (err: unknown): void => {
    process.stderr.write(`simplesip client: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    ending.code = EXIT.refused;
    leave();
  };
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  void done.then(leave);
}

/** The failure of a command's main steps: printed, and its exit code kept, unless we are leaving anyway. */
function failedWith(ending: Ending): (err: unknown) => void {
  return (err) => {
    if (ending.leaving && err instanceof SipClientError && err.code === 'closed') return;
    process.stderr.write(`simplesip client: ${(err as Error).message}\n`);
    ending.code = err instanceof SipClientError ? CODE_FOR[err.code] : EXIT.refused;
  };
}

async function start(flags: AccountFlags, interactive: boolean): Promise<{ ua: UserAgent; buddies: string[] }> {
  const account = await loadAccount(flags, interactive).catch(fail);
  let ua: UserAgent;
  try {
    ua = new UserAgent(account.options);
  } catch (err) {
    return fail(err);
  }
  return { ua, buddies: account.buddies };
}

const json = (event: string, data: object): void => {
  process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
};

async function chat(flags: AccountFlags): Promise<void> {
  const { ua, buddies } = await start(flags, true);
  const ending: Ending = { code: EXIT.ok, leaving: false };
  ua.on('registered', (r) => process.stdout.write(`registered ${r.aor} as ${r.contact} for ${r.expires} s\n`));
  const done = (async (): Promise<void> => {
    await ua.register();
    for (const b of buddies) await ua.subscribe(b);
    await runChat(ua);
  })().catch(failedWith(ending));
  exitCleanly(ua, done, ending);
}

async function watch(flags: AccountFlags & { json?: boolean }, subscribe: boolean): Promise<void> {
  const { ua, buddies } = await start(flags, false);
  const out = (event: string, data: object, text: string): void => (flags.json ? json(event, data) : void process.stdout.write(`${text}\n`));
  ua.on('registered', (e) => out('registered', e, `registered ${e.aor} as ${e.contact} for ${e.expires} s`));
  ua.on('unregistered', (e) => out('unregistered', e, `unregistered ${e.aor} (${e.reason})`));
  ua.on('message', (m) => out('message', m, `[${m.from}] ${m.body}`));
  ua.on('typing', (t) => out('typing', t, `${t.from} ${t.state === 'active' ? 'is typing' : 'stopped typing'}`));
  ua.on('presence', (p) => out('presence', p, `presence ${p.buddy}: ${p.basic}${p.note === undefined ? '' : ` (${p.note})`}`));
  ua.on('error', (e) => out('error', { code: e.code, message: e.message, status: e.status }, `error: ${e.message}`));
  const ending: Ending = { code: EXIT.ok, leaving: false };
  const forever = new Promise<void>(() => undefined);
  const done = (async (): Promise<void> => {
    await ua.register();
    if (subscribe) for (const b of buddies) await ua.subscribe(b);
    await forever;
  })().catch(failedWith(ending));
  exitCleanly(ua, done, ending);
}

async function send(text: string[], flags: AccountFlags & { to?: string; contentType: string }): Promise<void> {
  if (flags.to === undefined) fail(new UsageError('send needs --to sip:bob@example.com'));
  const body = text.length > 0 ? text.join(' ') : await readStdin();
  const { ua } = await start(flags, false);
  let code: number = EXIT.ok;
  try {
    const r = await ua.sendMessage(flags.to as string, body, flags.contentType);
    // RFC 3428 7: 200 delivered, 202 accepted (e.g. stored for later delivery).
    if (r.error?.code === 'auth-failed') {
      // Says whether the password was refused or none was given (README: Digest).
      process.stderr.write(`simplesip client: ${r.error.message}\n`);
      code = EXIT.auth;
    } else if (r.error?.code === 'unreachable') {
      // No answer came (Timer F) or the transport failed; a 408 or 503 the server answered is a refusal
      // like any other (a 503 of the rate limit says "slow down", not "unreachable").
      process.stderr.write(`simplesip client: MESSAGE: ${r.status} ${r.reason}: the server cannot be reached or is unavailable\n`);
      code = EXIT.unreachable;
    } else if (!r.accepted) {
      process.stderr.write(`simplesip client: MESSAGE: ${r.status} ${r.reason}\n`);
      code = EXIT.refused;
    } else {
      process.stdout.write(`${r.status} ${r.reason}\n`);
    }
  } catch (err) {
    await ua.close();
    fail(err);
  }
  await ua.close();
  process.exit(code);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function addClientCommand(program: Command): void {
  const client = program.command('client').description('SIP/SIMPLE user agent: register, chat, presence')
    // Before the subcommands, which inherit it: an unknown flag or a missing value is a usage error (2).
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));
  accountOptions(client.command('chat', { isDefault: true }).description('interactive chat (the default): /msg, /status, /buddies, /add, /remove, /quit'))
    .action((flags: AccountFlags) => chat(flags));
  accountOptions(client.command('send').description('send one MESSAGE; exit 0 only when it was accepted (200 or 202)'))
    .argument('[text...]', 'the message (default: standard input)')
    .option('--to <uri>', 'recipient, e.g. sip:bob@example.com')
    .option('--content-type <type>', 'MIME type of the text', 'text/plain')
    .action((text: string[], flags: AccountFlags & { to?: string; contentType: string }) => send(text, flags));
  accountOptions(client.command('watch').description('register, watch --buddy presence, print events until signalled'))
    .option('--json', 'one JSON object per event and line')
    .action((flags: AccountFlags & { json?: boolean }) => watch(flags, true));
  accountOptions(client.command('register').description('register and stay registered until signalled'))
    .option('--json', 'one JSON object per event and line')
    .action((flags: AccountFlags & { json?: boolean }) => watch(flags, false));
}
