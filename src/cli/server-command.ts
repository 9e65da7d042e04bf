// `simplesip server`: runs the SIP server until SIGINT/SIGTERM.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CONFIG_ENV, configFileFrom } from './config-file.js';
import { applyServerConfigFile } from './server-config-file.js';
import { pino } from 'pino';
import type { DigestAlgorithm } from '../auth/types.js';
import { defaultServerConfig, DEFAULT_LISTEN, type ServerConfig } from '../server/config.js';
import { SipServer } from '../server/sip-server.js';
import { ControlAddressError, DEFAULT_CONTROL, formatControlAddress, parseServerControlAddress, type ControlAddress } from '../control/address.js';
import { ControlServer } from '../control/control-server.js';
import { classifyHost } from '../sip/host.js';
import { canonicalDomain } from '../transport/address.js';
import { parseListenSpec } from '../transport/listen-spec.js';
import { loadCredentials, loadTrustedCa } from '../transport/tls-credentials.js';
import { exitProcess } from './hung-up-terminal.js';
import { stderrLogDestination } from './log-destination.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** --listen, repeatable: each spec checked as it is read, so a bad one stops the command before anything starts. */
function listenSpecs(value: string, previous: string[] | undefined): string[] {
  try {
    parseListenSpec(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
  return collect(value, previous);
}

/**
 * --domain, repeatable: a host name or an IP address (RFC 3261 25.1), IPv6 with or without brackets,
 * kept in its canonical form (RFC 3261 19.1.4 compares addresses, not spellings; RFC 5954 4.1):
 * `2001:DB8:0:0::1` is `2001:db8::1`, `::ffff:192.0.2.7` is `192.0.2.7`.
 */
function domainNames(value: string, previous: string[] | undefined): string[] {
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (bare.startsWith('-') || classifyHost(bare) === undefined) {
    throw new InvalidArgumentError(`--domain takes a host name such as example.com or an IP address, not "${value}"`);
  }
  return collect(canonicalDomain(bare), previous);
}

/** A whole number within bounds, or a CLI error that says which flag is wrong and what it takes. */
function integer(flag: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}, not "${value}"`);
    }
    return n;
  };
}

/** --control: a loopback HOST:PORT, or a CLI error saying why not. */
function controlAddress(value: string): ControlAddress {
  try {
    return parseServerControlAddress(value);
  } catch (err) {
    if (err instanceof ControlAddressError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/**
 * --digest-algorithms: the challenges offered, in order (RFC 8760 2.3: one WWW-/Proxy-Authenticate
 * per algorithm, preferred first). `MD5` alone is for UAs that give up on the whole 401/407 when one
 * challenge names an algorithm they lack, instead of ignoring it as RFC 8760 2.4 asks (baresip 1.0.0).
 */
function digestAlgorithms(value: string): DigestAlgorithm[] {
  const names = value.split(',').map((v) => v.trim().toUpperCase());
  const known: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];
  const bad = names.find((n) => !(known as readonly string[]).includes(n));
  if (names.length === 0 || bad !== undefined || new Set(names).size !== names.length) {
    throw new InvalidArgumentError(`--digest-algorithms takes a comma-separated list of ${known.join(', ')} without repeats, not "${value}"`);
  }
  return names as DigestAlgorithm[];
}

/** One of a fixed set of words, or a CLI error listing them. */
function choice<T extends string>(flag: string, values: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(values as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} takes ${values.join(' or ')}, not "${value}"`);
    }
    return value as T;
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface ServerOptions {
  config?: string;
  control: ControlAddress;
  listen?: string[];
  domain?: string[];
  trace?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  strictResponseRouting?: boolean;
  logLevel: string;
  maxMessageSize: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  idleTimeout: number;
  udpBufferSize: number;
  auth: 'on' | 'off';
  maxAuthFailures: number;
  authBan: number;
  data: string;
  store: 'sqlite' | 'memory';
  commitWindow: number;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  maxContacts: number;
  maxPublications: number;
  maxWatchers: number;
  maxPendingWatchers: number;
  probeInterval: number;
  t1: number;
  maxMessageBody: number;
  messageRate: number;
  messageBurst: number;
  offlineExpiry: number;
  offlineLimit: number;
  offlineMaxBytes: number;
  queueDelayWarn: number;
  digestAlgorithms: DigestAlgorithm[];
}

export function serverConfigFromOptions(options: ServerOptions): ServerConfig {
  const config = defaultServerConfig();
  if (options.listen) config.listen = options.listen;
  if (options.domain) config.domains = options.domain;
  config.trace = options.trace === true;
  config.tlsCert = options.tlsCert;
  config.tlsKey = options.tlsKey;
  config.tlsCa = options.tlsCa;
  config.symmetricResponses = options.strictResponseRouting !== true;
  config.logLevel = options.logLevel;
  config.maxMessageSize = options.maxMessageSize;
  config.maxConnections = options.maxConnections;
  config.maxConnectionsPerAddress = options.maxConnectionsPerAddress;
  config.idleTimeoutSeconds = options.idleTimeout;
  config.udpBufferSize = options.udpBufferSize;
  config.auth = options.auth === 'on';
  config.maxAuthFailures = options.maxAuthFailures;
  config.authBanSeconds = options.authBan;
  config.dataDir = options.data;
  config.store = options.store;
  config.commitWindowMs = options.commitWindow;
  config.minExpires = options.minExpires;
  config.maxExpires = options.maxExpires;
  config.defaultExpires = options.defaultExpires;
  config.maxContacts = options.maxContacts;
  config.maxPublications = options.maxPublications;
  config.maxWatchers = options.maxWatchers;
  config.maxPendingWatchers = options.maxPendingWatchers;
  config.probeIntervalSeconds = options.probeInterval;
  config.t1Ms = options.t1;
  config.digestAlgorithms = options.digestAlgorithms;
  config.maxMessageBody = options.maxMessageBody;
  config.messageRate = options.messageRate;
  config.messageBurst = options.messageBurst;
  config.offlineExpirySeconds = options.offlineExpiry;
  config.offlineMaxPerUser = options.offlineLimit;
  config.offlineMaxBytes = options.offlineMaxBytes;
  config.queueDelayWarnMs = options.queueDelayWarn;
  // A tls/wss listener without a usable certificate and key would fail only once storage is open.
  for (const spec of config.listen) {
    if (!/^(tls|wss):/i.test(spec)) continue;
    try {
      loadCredentials(spec, { certFile: config.tlsCert, keyFile: config.tlsKey });
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  }
  if (config.tlsCa !== undefined) {
    try {
      loadTrustedCa(config.tlsCa);
    } catch (err) {
      throw new InvalidArgumentError(`--tls-ca: ${(err as Error).message}`);
    }
  }
  // RFC 3261 10.3: the registrar grants between min and max; a default outside them makes no sense.
  if (config.minExpires > config.maxExpires) {
    throw new InvalidArgumentError(`--min-expires (${config.minExpires}) must not be above --max-expires (${config.maxExpires})`);
  }
  if (config.defaultExpires < config.minExpires || config.defaultExpires > config.maxExpires) {
    throw new InvalidArgumentError(`--default-expires (${config.defaultExpires}) must lie between --min-expires (${config.minExpires}) and --max-expires (${config.maxExpires})`);
  }
  return config;
}

export function addServerCommand(program: Command): void {
  const defaults = defaultServerConfig();
  program
    .command('server')
    .description('run the SIP server (registrar, proxy, presence agent)')
    .option('--config <file>', `YAML config file: one key per flag below, named as the flag without its dashes; flags given here win (default: $${CONFIG_ENV})`)
    .option('--listen <spec>', `socket to listen on, repeatable: udp|tcp|tls|ws|wss:ADDRESS:PORT, ADDRESS = * (IPv4 and IPv6), 0.0.0.0, [::], [::1], ... (default: ${DEFAULT_LISTEN.join(' ')})`, listenSpecs)
    .option('--domain <name>', 'SIP domain served by this server, repeatable (its own addresses and localhost always are)', domainNames)
    .option('--trace', 'print every SIP message in and out')
    .option('--tls-cert <file>', 'PEM certificate for tls and wss listeners')
    .option('--tls-key <file>', 'PEM private key for tls and wss listeners')
    .option('--tls-ca <file>', 'PEM certificates to trust, besides the system\'s, when relaying over TLS to another domain')
    .option('--strict-response-routing', 'route responses by Via as RFC 3261 18.2.2 says, instead of to the source address and port')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', choice('--log-level', LOG_LEVELS), 'info')
    .option('--max-message-size <bytes>', 'largest SIP message accepted (larger: 513)', integer('--max-message-size', 1024, 1048576), defaults.maxMessageSize)
    .option('--max-connections <n>', 'open TCP/TLS/WS connections at once', integer('--max-connections', 1, 1000000), defaults.maxConnections)
    .option('--max-connections-per-address <n>', 'open TCP/TLS/WS connections one remote address may hold', integer('--max-connections-per-address', 1, 1000000), defaults.maxConnectionsPerAddress)
    .option('--idle-timeout <seconds>', 'close a stream connection after this long without traffic', integer('--idle-timeout', 1, 86400), defaults.idleTimeoutSeconds)
    // Defaults that are objects or lists are shown as an operator writes them, not as JSON.
    .addOption(new Option('--control <host:port>', 'control API for simplesip ctl, loopback only')
      .argParser(controlAddress).default(parseServerControlAddress(DEFAULT_CONTROL), DEFAULT_CONTROL))
    .option('--udp-buffer-size <bytes>', 'UDP socket receive/send buffer', integer('--udp-buffer-size', 65536, 268435456), defaults.udpBufferSize)
    .option('--auth <on|off>', 'digest authentication of REGISTER and of our users\' requests (off: tests and labs only)', choice('--auth', ['on', 'off'] as const), 'on')
    .option('--max-auth-failures <n>', 'wrong digest answers one address may give within a minute before it is refused; 0 = no limit', integer('--max-auth-failures', 0, 1000000), defaults.maxAuthFailures)
    .option('--auth-ban <seconds>', 'how long an address past --max-auth-failures is refused (403)', integer('--auth-ban', 1, 86400), defaults.authBanSeconds)
    .addOption(new Option('--digest-algorithms <list>', 'digest challenges offered, in this order: MD5, SHA-256 or both (MD5 only for baresip 1.0.0)')
      .argParser(digestAlgorithms).default(defaults.digestAlgorithms, defaults.digestAlgorithms.join(',')))
    .option('--data <dir>', 'data directory: sqlite database and nonce secret (created if missing)', defaults.dataDir)
    .option('--store <kind>', 'where users and bindings live: sqlite (in --data) or memory (lost at exit)', choice('--store', ['sqlite', 'memory'] as const), defaults.store)
    .option('--commit-window <ms>', 'sqlite: a write waits this long for others to share its commit (a REGISTER\'s 200 waits for it); 0 = commit at the end of each event-loop turn', integer('--commit-window', 0, 1000), defaults.commitWindowMs)
    .option('--min-expires <seconds>', 'shortest registration accepted; shorter gets 423', integer('--min-expires', 1, 86400), defaults.minExpires)
    .option('--max-expires <seconds>', 'longest registration granted; longer is shortened', integer('--max-expires', 1, 604800), defaults.maxExpires)
    .option('--default-expires <seconds>', 'registration interval when the REGISTER gives none', integer('--default-expires', 1, 604800), defaults.defaultExpires)
    .option('--max-contacts <n>', 'bindings per address-of-record; more gets 403', integer('--max-contacts', 1, 1000), defaults.maxContacts)
    .option('--max-publications <n>', 'presence: live publications per address-of-record; more gets 403', integer('--max-publications', 1, 1000000), defaults.maxPublications)
    .option('--max-watchers <n>', 'presence: subscriptions per presentity; more gets 403', integer('--max-watchers', 1, 1000000), defaults.maxWatchers)
    .option('--max-pending-watchers <n>', 'presence: subscriptions per presentity from watchers it has not allowed; more gets 403', integer('--max-pending-watchers', 0, 1000000), defaults.maxPendingWatchers)
    .option('--probe-interval <seconds>', 'OPTIONS probe of quiet UDP contacts and plain TCP/TLS bindings every so often; 0 = off', integer('--probe-interval', 0, 86400), defaults.probeIntervalSeconds)
    // RFC 3261 17.1.1.1: smaller than 500 ms only "within closed, private networks" (labs, tests).
    .option('--t1 <ms>', 'RFC 3261 T1 (retransmission base; Timer F and probe timeouts are 64*T1); below 500 only in closed private networks', integer('--t1', 1, 4000), 500)
    .option('--max-message-body <bytes>', 'largest MESSAGE body relayed or stored; larger gets 413', integer('--max-message-body', 1, 1048576), defaults.maxMessageBody)
    .option('--message-rate <n>', 'MESSAGEs per second one sender may send (sustained); beyond: 503 + Retry-After; 0 = no limit', integer('--message-rate', 0, 1000000), defaults.messageRate)
    .option('--message-burst <n>', 'MESSAGEs one sender may send at once', integer('--message-burst', 1, 1000000), defaults.messageBurst)
    .option('--offline-expiry <seconds>', 'how long a stored message waits for its recipient', integer('--offline-expiry', 1, 31536000), defaults.offlineExpirySeconds)
    .option('--offline-limit <n>', 'stored messages per recipient; beyond: 480 (mailbox full)', integer('--offline-limit', 1, 1000000), defaults.offlineMaxPerUser)
    .option('--offline-max-bytes <bytes>', 'bytes all stored messages may take together (bodies, senders, headers); beyond: 480 (store full); 0 = no limit',
      integer('--offline-max-bytes', 0, 1e15), defaults.offlineMaxBytes)
    .option('--queue-delay-warn <ms>', 'warn when datagrams wait longer than this in a UDP receive queue (the server is falling behind); 0 = never', integer('--queue-delay-warn', 0, 60000), defaults.queueDelayWarnMs)
    .hook('preAction', (command) => {
      const file = configFileFrom(command.opts<ServerOptions>().config);
      if (file !== undefined) applyServerConfigFile(command, file);
    })
    .action(async (options: ServerOptions) => {
      const config = serverConfigFromOptions(options);
      const log = pino({ level: config.logLevel }, stderrLogDestination());
      if (!config.auth) {
        process.stderr.write('WARNING: authentication is OFF (--auth off): anyone can register as any user of the served domains. Never run it like this outside a test or a lab.\n');
      }
      const server = new SipServer(config, log);
      // Everything that can fail to open opens before the server does anything on its own: a start
      // that fails on the control address has delivered no stored message (which the next start
      // would have delivered again).
      const listeners = await server.open();
      const control = new ControlServer(server.controlContext());
      let controlAt;
      try {
        controlAt = await control.listen(options.control);
      } catch (err) {
        await server.stop();
        throw err;
      }
      server.run();
      // The handlers come before the start-up lines: whoever waits for those may signal at once.
      let stopping = false;
      const stop = (signal: string): void => {
        // A hung-up terminal sends SIGHUP twice (to the session leader, then to its foreground
        // group): a second signal must not kill a stop that is under way.
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping');
        control.close().then(() => server.stop()).finally(() => exitProcess(0));
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      // The terminal it ran in went away: stop as cleanly as on SIGTERM (stores closed, timers gone).
      process.on('SIGHUP', () => stop('SIGHUP'));
      process.stdout.write('simplesip server listening on:\n');
      for (const l of listeners) process.stdout.write(`  ${l.description}\n`);
      process.stdout.write(`control API on ${formatControlAddress(controlAt)}\n`);
    });
}
