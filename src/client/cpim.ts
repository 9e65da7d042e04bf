// message/cpim (RFC 3862): the wrapper some clients put around an instant message. We read the
// message headers (From, To, DateTime) and the encapsulated MIME content.

export interface CpimMessage {
  from?: string;
  to?: string;
  dateTime?: string;
  contentType: string;
  body: string;
}

function splitBlock(text: string): [string, string] | undefined {
  const m = /\r?\n\r?\n/.exec(text);
  return m === null ? undefined : [text.slice(0, m.index), text.slice(m.index + m[0].length)];
}

function headers(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

/** RFC 3862 2: message headers, blank line, MIME headers, blank line, content. Undefined when malformed. */
export function parseCpim(text: string): CpimMessage | undefined {
  const outer = splitBlock(text);
  if (outer === undefined) return undefined;
  const inner = splitBlock(outer[1]);
  if (inner === undefined) return undefined;
  const message = headers(outer[0]);
  const mime = headers(inner[0]);
  return {
    from: message.get('from'),
    to: message.get('to'),
    dateTime: message.get('datetime'),
    contentType: mime.get('content-type') ?? 'text/plain',
    body: inner[1],
  };
}
