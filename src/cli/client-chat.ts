// `simplesip client` (chat): a readline prompt for people. /msg, /status, /buddies, /add, /remove,
// /quit; incoming messages, typing and presence are printed as they arrive.
import { createInterface, emitKeypressEvents } from 'node:readline';
import type { PresenceEvent, PresenceSetting, UserAgent } from '../index.js';

const HELP = `commands:
  /msg USER TEXT          send TEXT to USER (bob, bob@example.com or sip:bob@example.com)
  TEXT                    send TEXT to the last person you wrote to
  /status STATUS ["NOTE"] available, away, busy or offline, with an optional note
  /buddies                buddies and their presence
  /add USER, /remove USER watch (or stop watching) USER's presence
  /quit                   unregister and leave`;

const STATUSES: Record<string, PresenceSetting> = {
  available: { basic: 'open' },
  online: { basic: 'open' },
  away: { basic: 'open', activity: 'away' },
  busy: { basic: 'open', activity: 'busy' },
  offline: { basic: 'closed' },
  invisible: { basic: 'closed' },
};

/** Splits a command line into words; "double quotes" group words. */
export function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

export function describePresence(p: PresenceEvent): string {
  const state = p.subscription === 'active' ? (p.basic === 'open' ? (p.activities[0] ?? 'available') : p.basic === 'closed' ? 'offline' : 'unknown') : p.subscription;
  return `${p.buddy}: ${state}${p.note === undefined ? '' : ` (${p.note})`}${p.reason === undefined ? '' : ` [${p.reason}]`}`;
}

/** Runs the prompt until /quit or the end of input; resolves then (the caller closes the UA). */
export function runChat(ua: UserAgent): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  // A terminal that hung up fails reads and readline's reset of raw mode with EIO, which readline
  // passes on as its own 'error': that is the end of input, like Ctrl-D, not an internal error.
  let closing = false;
  rl.once('close', () => { closing = true; });
  rl.on('error', () => {
    if (closing) return; // the error came from within close() itself
    closing = true;
    rl.close();
  });
  const print = (text: string): void => {
    process.stdout.write(`${text}\n`);
    if (process.stdin.isTTY) rl.prompt(true);
  };
  let peer: string | undefined;
  ua.on('message', (m) => print(`[${m.from}] ${m.body}`));
  ua.on('typing', (t) => print(t.state === 'active' ? `${t.from} is typing...` : `${t.from} stopped typing`));
  ua.on('presence', (p) => print(`presence ${describePresence(p)}`));
  ua.on('error', (e) => print(`error: ${e.message}`));
  if (process.stdin.isTTY) {
    // RFC 3994: keystrokes are what "composing" means; the UA rate-limits what goes on the wire.
    emitKeypressEvents(process.stdin, rl);
    process.stdin.on('keypress', () => {
      if (peer !== undefined && !rl.line.startsWith('/')) ua.composing(peer);
    });
  }
  const send = async (to: string, text: string): Promise<void> => {
    const r = await ua.sendMessage(to, text);
    if (!r.accepted) print(`not delivered to ${to}: ${r.status} ${r.reason}`);
  };
  const commands: Record<string, (args: string[], rest: string) => Promise<void> | 'quit'> = {
    msg: async (args, rest) => {
      if (args.length < 2) return print('usage: /msg USER TEXT');
      peer = ua.resolveBuddy(args[0]);
      await send(peer, rest.slice(rest.indexOf(args[0]) + args[0].length).trim());
    },
    status: async (args) => {
      const setting = STATUSES[args[0]?.toLowerCase() ?? ''];
      if (setting === undefined) return print(`usage: /status ${Object.keys(STATUSES).join('|')} ["note"]`);
      await ua.setPresence({ ...setting, note: args[1] });
      print(`status: ${args[0]}${args[1] === undefined ? '' : ` (${args[1]})`}`);
    },
    buddies: async () => {
      const list = await ua.buddies();
      print(list.length === 0 ? 'no buddies (/add USER)' : list.map(describePresence).join('\n'));
    },
    add: async (args) => (args[0] === undefined ? print('usage: /add USER') : ua.subscribe(args[0])),
    remove: async (args) => (args[0] === undefined ? print('usage: /remove USER') : ua.unsubscribe(args[0])),
    help: async () => print(HELP),
    quit: () => 'quit',
  };
  rl.setPrompt('> ');
  rl.prompt();
  return new Promise((resolve) => {
    rl.on('line', (line) => {
      const trimmed = line.trim();
      const run = async (): Promise<'quit' | void> => {
        if (trimmed === '') return;
        if (!trimmed.startsWith('/')) {
          if (peer === undefined) return print('who to? /msg USER TEXT first (or /help)');
          return send(peer, trimmed);
        }
        const [name, ...args] = words(trimmed.slice(1));
        const command = commands[name.toLowerCase()];
        if (command === undefined) return print(`unknown command /${name} (/help)`);
        return command(args, trimmed.slice(1 + name.length).trim());
      };
      run().then((r) => {
        if (r === 'quit') rl.close();
        else rl.prompt();
      }, (err: Error) => print(`error: ${err.message}`));
    });
    rl.on('close', resolve);
  });
}
