// How `simplesip ctl` prints what the control API answers: readable blocks for people, and the
// API's JSON unchanged for scripts (`--json`).
import { Transform, type TransformCallback } from 'node:stream';
import type { StatsView, UserView } from '../control/api-types.js';
import type { BindingView } from '../control/binding-view.js';

/** Text labels of a binding, in the order printed (a Record so a new field cannot be forgotten). */
const LABELS: Record<Exclude<keyof BindingView, 'aor' | 'contact'>, string> = {
  expires: 'Expires',
  q: 'Q',
  callId: 'Call-ID',
  cseq: 'CSeq',
  userAgent: 'User-Agent',
  received: 'Received',
  path: 'Path',
  state: 'State',
  flags: 'Flags',
  socket: 'Socket',
  methods: 'Methods',
  instance: 'Instance',
  regId: 'Reg-Id',
  lastKeepalive: 'Last-Keepalive',
  lastModified: 'Last-Modified',
};

/**
 * Text for a terminal: what the server hands out comes partly from SIP senders (User-Agent, display
 * names, bodies), and an escape sequence printed raw would drive the operator's terminal (retitle it,
 * move the cursor, erase lines and so hide or fake entries). C0 and C1 controls and DEL, other than
 * line feed and tab, are shown as `\u00NN`: readable, and a valid escape inside a JSON string, where
 * they can only be (JSON.stringify escapes C0 controls itself but leaves C1 and DEL raw).
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function show(value: string | number | string[] | null): string {
  if (value === null) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(', ');
  return String(value);
}

/** One binding; the `AOR:` line comes first when it starts a new AOR. */
export function formatBinding(b: BindingView, newAor: boolean): string {
  let text = newAor ? `AOR: ${terminalSafe(b.aor)}\n` : '';
  text += `  Contact: ${terminalSafe(b.contact)}\n`;
  for (const [key, label] of Object.entries(LABELS) as Array<[keyof typeof LABELS, string]>) {
    text += `    ${`${label}:`.padEnd(16)}${terminalSafe(show(b[key]))}\n`;
  }
  return text;
}

export function bindingsFooter(bindings: number, aors: number): string {
  return `${bindings} binding${bindings === 1 ? '' : 's'}, ${aors} AOR${aors === 1 ? '' : 's'}\n`;
}

/**
 * NDJSON bindings in, text blocks out, as they arrive (the dump of a million bindings never sits in
 * memory). The dump comes AOR by AOR, so a binding whose AOR differs from the previous one opens a block.
 */
export class BindingTextStream extends Transform {
  private partial = '';
  private lastAor: string | undefined;
  private bindings = 0;
  private aors = 0;

  constructor() {
    super({ writableObjectMode: false, readableObjectMode: false });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    try {
      let out = '';
      for (const line of lines) if (line !== '') out += this.binding(JSON.parse(line) as BindingView);
      done(null, out);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const last = this.partial === '' ? '' : this.binding(JSON.parse(this.partial) as BindingView);
      done(null, last + bindingsFooter(this.bindings, this.aors));
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private binding(b: BindingView): string {
    const newAor = b.aor !== this.lastAor;
    if (newAor) this.aors++;
    this.bindings++;
    this.lastAor = b.aor;
    return formatBinding(b, newAor);
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${d > 0 ? `${d}d ` : ''}${h}h ${String(m).padStart(2, '0')}m ${String(s).padStart(2, '0')}s`;
}

export function formatStats(s: StatsView): string {
  const rows: Array<[string, string]> = [
    ['bindings', String(s.bindings)],
    ['AORs', String(s.aors)],
    ['registrations accepted', String(s.registrationsAccepted)],
    ['registrations rejected', String(s.registrationsRejected)],
    ['auth failures', String(s.authFailures)],
    ['requests received', String(s.requestsReceived)],
    ['responses sent', String(s.responsesSent)],
    ['transactions', `${s.transactions.server} server, ${s.transactions.client} client`],
    ['messages', `${s.messagesRelayed} relayed, ${s.messagesStored} stored, ${s.messagesDelivered} delivered, ${s.messagesRefused} refused, ${s.messagesRateLimited} rate-limited`],
    ['offline messages', String(s.offlineMessages)],
    ['UDP queue delay', `${s.udpQueueDelay.lastMs} ms now, ${s.udpQueueDelay.maxLastMinuteMs} ms worst in the last minute`],
    ['UDP receive drops', s.udpReceiveDrops === null ? 'unknown (no /proc/net/udp)' : `${s.udpReceiveDrops} (datagrams lost to a full receive queue)`],
    ...(s.presence === undefined ? [] : [
      ['presence', `${s.presence.publications} publications, ${s.presence.subscriptions} subscriptions, ${s.presence.winfoSubscriptions} winfo`],
      ['NOTIFYs', `${s.presence.notifiesSent} sent, ${s.presence.notifyFailures} failed`],
    ] as Array<[string, string]>),
    ['memory', `rss ${mebibytes(s.memory.rss)}, heap ${mebibytes(s.memory.heapUsed)} of ${mebibytes(s.memory.heapTotal)}`],
    ['uptime', `${duration(s.uptimeSeconds)} (since ${s.startedAt})`],
    ...s.listeners.map((l, i): [string, string] => [i === 0 ? 'listeners' : '', l]),
  ];
  return rows.map(([name, value]) => `${name.padEnd(24)}${value}\n`).join('');
}

export function formatUsers(users: UserView[]): string {
  return users.map((u) => `${u.user.padEnd(32)} created ${u.createdAt}\n`).join('');
}
