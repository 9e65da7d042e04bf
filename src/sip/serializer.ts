// Serialization (RFC 3261 7): canonical start line, one `Name: value` line per field,
// Content-Length always equal to the body length.

import { displayName } from './header-names.js';
import type { SipMessage } from './message.js';

export function startLine(m: SipMessage): string {
  return m.kind === 'request'
    ? `${m.method} ${m.requestUri} SIP/2.0`
    : `SIP/2.0 ${m.status} ${m.reason}`;
}

export function serialize(m: SipMessage): Buffer {
  const binary = m.binaryHeaders;
  let head = startLine(m) + '\r\n';
  let lengthWritten = false;
  for (const f of m.headerFields()) {
    if (f.name === 'content-length') {
      if (lengthWritten) continue;
      lengthWritten = true;
      head += `Content-Length: ${m.body.length}\r\n`;
      continue;
    }
    if (f.raw !== undefined) {
      // Unknown headers go out byte for byte as they came in.
      head += f.raw + '\r\n';
      continue;
    }
    const line = `${displayName(f.name) ?? f.rawName}: ${f.value}\r\n`;
    head += binary ? Buffer.from(line, 'utf8').toString('latin1') : line;
  }
  if (!lengthWritten) head += `Content-Length: ${m.body.length}\r\n`;
  head += '\r\n';
  const encoding = binary ? 'latin1' : 'utf8';
  if (m.body.length === 0) return Buffer.from(head, encoding);
  const headLength = Buffer.byteLength(head, encoding);
  const out = Buffer.allocUnsafe(headLength + m.body.length);
  out.write(head, 0, encoding);
  m.body.copy(out, headLength);
  return out;
}
