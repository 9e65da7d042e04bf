// Checks on what simplesip wrote, read from `simplesip server --trace` output: one entry per message,
// `----- TIME IN|OUT PROTO LOCAL -> REMOTE (LISTENER)` then the message.
export interface TraceEntry {
  direction: 'IN' | 'OUT';
  protocol: string;
  from: string;
  to: string;
  text: string;
}

export function parseTrace(trace: string): TraceEntry[] {
  const out: TraceEntry[] = [];
  const parts = trace.split(/^----- /m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    const m = /^\S+ (IN|OUT) (\w+) (\S+) -> (\S+) /.exec(part.slice(0, nl));
    if (m) out.push({ direction: m[1] as 'IN' | 'OUT', protocol: m[2], from: m[3], to: m[4], text: part.slice(nl + 1) });
  }
  return out;
}

/** `[fd00::1]:5060` / `10.0.0.1:5060` -> the bare address and the port. */
function split(hostPort: string): { address: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
  return { address: m?.[1] ?? hostPort, port: Number(m?.[2] ?? 0) };
}

function header(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(text)?.[1];
}

/** Every defect found in what simplesip wrote (OUT entries), as readable lines; [] = clean. */
export function traceDefects(entries: TraceEntry[]): string[] {
  const defects: string[] = [];
  for (const e of entries.filter((x) => x.direction === 'OUT')) {
    const first = e.text.split('\n')[0];
    const where = `${first.trim()} to ${e.to}`;
    if (/::ffff:/i.test(e.text) || /::ffff:/i.test(e.from + e.to)) defects.push(`${where}: ::ffff: address`);
    // As a transport token (Via sent-protocol, transport= parameter, the trace's own protocol), not
    // anywhere: random Call-IDs, tags and branches contain "tcp6" now and then.
    if (/SIP\/2\.0\/(udp6|tcp6)\b|transport=(udp6|tcp6)\b/i.test(e.text) || /6$/.test(e.protocol)) defects.push(`${where}: udp6/tcp6 token`);
    // An IPv6 host after `@` or in a Via sent-by must be in brackets (RFC 3261 25.1 IPv6reference).
    for (const line of e.text.split('\n')) {
      if (/^(Via|v|Contact|m|To|t|From|f|Record-Route|Route):/i.test(line) && /(@|SIP\/2\.0\/\w+ )[0-9a-f]*:[0-9a-f]*:[0-9a-f:.]*[;:>\s]/i.test(line)) {
        defects.push(`${where}: IPv6 host without brackets: ${line.trim()}`);
      }
    }
    if (!first.startsWith('SIP/2.0 ')) continue;
    const remote = split(e.to);
    const via = header(e.text, 'Via') ?? '';
    // The top Via of a response to a request from this peer: received/rport name the real source.
    const received = /;received=\[?([^;\]\s]+)\]?/.exec(via)?.[1];
    const rport = /;rport=(\d+)/.exec(via)?.[1];
    if (e.protocol === 'udp' && rport !== undefined && Number(rport) !== remote.port) defects.push(`${where}: rport=${rport}, source port ${remote.port}`);
    if (received !== undefined && received !== remote.address) defects.push(`${where}: received=${received}, source ${remote.address}`);
    if (/ REGISTER\s*$/m.test(header(e.text, 'CSeq') ?? '') && first.startsWith('SIP/2.0 200')) {
      for (const m of e.text.matchAll(/^Contact:.*?@(\[[^\]]+\]|[^:;>]+)/gim)) {
        const host = m[1].replace(/^\[|\]$/g, '');
        if (host !== remote.address) defects.push(`${where}: Contact host ${host} is not the address the REGISTER came from (${remote.address})`);
      }
    }
  }
  return defects;
}
