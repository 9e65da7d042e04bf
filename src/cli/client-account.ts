// Where `simplesip client` gets its account: flags, then the environment, then a JSON config file.
// The password never comes from the command line (ps and the shell history would show it): a
// file (--password-file), $SIMPLESIP_PASSWORD, or a prompt without echo on a terminal.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ReadStream } from 'node:tty';
import type { TransportProtocol, UserAgentOptions } from '../index.js';
import { loadTrustedCa } from '../transport/tls-credentials.js';
import { didYouMean } from './config-file.js';

export class UsageError extends Error {}

/** Flags shared by every `simplesip client` command. */
export interface AccountFlags {
  user?: string;
  server?: string;
  outboundProxy?: string;
  transport?: string;
  passwordFile?: string;
  config?: string;
  displayName?: string;
  localPorts?: string;
  stateDir?: string;
  expires?: string;
  buddy?: string[];
  closeTimeout?: string;
  tlsCa?: string;
}

interface ConfigFile {
  user?: string;
  server?: string;
  outboundProxy?: string;
  transport?: string;
  passwordFile?: string;
  displayName?: string;
  localPorts?: string;
  stateDir?: string;
  expires?: number;
  buddies?: string[];
  tlsCa?: string;
}

export interface Account {
  options: UserAgentOptions;
  buddies: string[];
}

const TRANSPORTS = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

function defaultConfigPath(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'simplesip', 'client.json');
}

/** What each key of the client's config file takes; `path`s are relative to the file's own directory. */
const CONFIG_KEYS: Record<keyof ConfigFile, 'text' | 'path' | 'number' | 'ports' | 'list'> = {
  user: 'text', server: 'text', outboundProxy: 'text', transport: 'text', passwordFile: 'path', displayName: 'text',
  localPorts: 'ports', stateDir: 'path', expires: 'number', buddies: 'list', tlsCa: 'path',
};

function readConfig(path: string | undefined): ConfigFile {
  const file = path ?? process.env.SIMPLESIP_CLIENT_CONFIG ?? defaultConfigPath();
  if (path === undefined && process.env.SIMPLESIP_CLIENT_CONFIG === undefined && !existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  } catch (err) {
    throw new UsageError(`cannot read the config file ${file}: ${(err as Error).message}`);
  }
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const kind = CONFIG_KEYS[key as keyof ConfigFile] as (typeof CONFIG_KEYS)[keyof ConfigFile] | undefined;
    if (kind === undefined) throw new UsageError(`${file}: unknown setting "${key}"${didYouMean(key, Object.keys(CONFIG_KEYS))}`);
    config[key] = configValue(file, key, kind, value);
  }
  return config as ConfigFile;
}

/** One setting, checked as its flag would be; a path from the file's directory, as the server's config file does. */
function configValue(file: string, key: string, kind: (typeof CONFIG_KEYS)[keyof ConfigFile], value: unknown): unknown {
  const wrong = (what: string): UsageError => new UsageError(`${file}: "${key}" takes ${what}, not ${JSON.stringify(value)}`);
  switch (kind) {
    case 'text':
      if (typeof value !== 'string') throw wrong('a string');
      return value;
    case 'path':
      if (typeof value !== 'string' || value === '') throw wrong('a file or directory name');
      return resolve(dirname(resolve(file)), value);
    case 'number':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrong('a whole number');
      return value;
    case 'ports':
      // "5060-5160", 5060, or the library's { "min": 5060, "max": 5160 }.
      if (typeof value === 'string' || typeof value === 'number') return String(value);
      if (typeof value === 'object' && value !== null && 'min' in value && 'max' in value) return `${String(value.min)}-${String(value.max)}`;
      throw wrong('"MIN-MAX", a port, or {"min": MIN, "max": MAX}');
    case 'list':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw wrong('a list of strings');
      return value;
  }
}

function portRange(text: string): { min: number; max: number } {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const min = Number(m?.[1]);
  const max = m?.[2] === undefined ? min : Number(m[2]);
  if (m === null || min > max || max > 65535) throw new UsageError(`--local-ports ${text}: expected PORT or MIN-MAX, e.g. 5060-5160`);
  return { min, max };
}

function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${what} ${text}: expected a whole number of at least ${min}`);
  return n;
}

async function password(file: string | undefined, interactive: boolean): Promise<string | undefined> {
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      throw new UsageError(`cannot read the password file ${file}: ${(err as Error).message}`);
    }
  }
  if (process.env.SIMPLESIP_PASSWORD !== undefined) return process.env.SIMPLESIP_PASSWORD;
  if (interactive && process.stdin.isTTY) return promptHidden(process.stdin as ReadStream, 'Password: ');
  return undefined;
}

/** One line typed without echo; Ctrl-C abandons. */
function promptHidden(stdin: ReadStream, text: string): Promise<string> {
  process.stderr.write(text);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0003') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write('\n');
          if (ch === '\u0003') reject(new UsageError('no password given'));
          else resolve(typed);
          return;
        }
        typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** PEM certificates trusted for tls/wss servers besides Node's root store (`--tls-ca`). */
function trustedCa(file: string): string {
  try {
    return loadTrustedCa(file);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The UserAgent options for these flags; `interactive` allows a password prompt. */
export async function loadAccount(flags: AccountFlags, interactive: boolean): Promise<Account> {
  const config = readConfig(flags.config);
  const user = flags.user ?? (process.env.SIMPLESIP_USER || undefined) ?? config.user;
  if (user === undefined) throw new UsageError('no account: give --user sip:alice@example.com (or $SIMPLESIP_USER, or "user" in the config file)');
  const aor = /^sips?:/i.test(user) ? user : `sip:${user}`;
  const transport = flags.transport ?? config.transport;
  if (transport !== undefined && !TRANSPORTS.has(transport)) throw new UsageError(`--transport ${transport}: expected udp, tcp, tls, ws or wss`);
  const ports = flags.localPorts ?? config.localPorts;
  const expires = flags.expires ?? (config.expires === undefined ? undefined : String(config.expires));
  const ca = flags.tlsCa ?? config.tlsCa;
  return {
    options: {
      aor,
      server: flags.server ?? process.env.SIMPLESIP_SERVER ?? config.server,
      outboundProxy: flags.outboundProxy ?? config.outboundProxy,
      transport: transport as TransportProtocol | undefined,
      password: await password(flags.passwordFile ?? process.env.SIMPLESIP_PASSWORD_FILE ?? config.passwordFile, interactive),
      displayName: flags.displayName ?? config.displayName,
      localPorts: ports === undefined ? undefined : portRange(ports),
      stateDir: flags.stateDir ?? config.stateDir,
      // RFC 3261 10.2.2: Expires 0 removes a binding; it is not an interval to register for.
      expires: expires === undefined ? undefined : wholeNumber(expires, '--expires', 1),
      closeTimeoutMs: flags.closeTimeout === undefined ? undefined : wholeNumber(flags.closeTimeout, '--close-timeout', 0),
      tls: ca === undefined ? undefined : { ca: trustedCa(ca) },
    },
    buddies: [...(config.buddies ?? []), ...(flags.buddy ?? [])],
  };
}
