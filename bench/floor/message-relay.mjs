// The Node floor for relaying MESSAGE: a bare UDP relay between SIPp's UAC and UAS. A REGISTER gets
// a fixed 200 and its source becomes the one destination; any other request goes there with one Via
// of ours added on top; a response loses that Via and goes to the address of the Via below it.
// No parsing beyond finding lines, no transactions: what one Node thread pays for two receives and
// two sends per MESSAGE (`npm run bench -- message`).
// usage: node bench/floor/message-relay.mjs PORT
import { createSocket } from 'node:dgram';
import { headerLine } from './header-line.mjs';

const port = Number(process.argv[2]);
// 4 MB buffers, as simplesip and the Kamailio config ask for (the kernel caps them at rmem_max).
const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
const ownVia = `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-floor-`;
let registered = { address: '127.0.0.1', port: 0 };
let forwarded = 0;

/** The response's text without our top Via; SIPp folds all Vias into one line, comma-separated. */
function withoutOwnVia(text) {
  const start = text.indexOf('\r\nVia:');
  const end = text.indexOf('\r\n', start + 2);
  const comma = text.indexOf(',', start);
  if (comma > 0 && comma < end) return `${text.slice(0, start + 6)} ${text.slice(comma + 1).trimStart()}`;
  return text.slice(0, start) + text.slice(end);
}

socket.on('message', (data, from) => {
  const text = data.toString('latin1');
  if (text.startsWith('SIP/2.0 ')) {
    const rest = withoutOwnVia(text);
    const sentBy = /UDP ([^:;\s]+):(\d+)/.exec(headerLine(rest, 'Via'));
    if (sentBy !== null) socket.send(rest, Number(sentBy[2]), sentBy[1]);
    return;
  }
  if (text.startsWith('REGISTER ')) {
    registered = { address: from.address, port: from.port };
    const answer = [
      'SIP/2.0 200 OK', headerLine(text, 'Via'), headerLine(text, 'From'), `${headerLine(text, 'To')};tag=floor`,
      headerLine(text, 'Call-ID'), headerLine(text, 'CSeq'), `${headerLine(text, 'Contact')};expires=3600`, 'Content-Length: 0', '', '',
    ].join('\r\n');
    socket.send(answer, from.port, from.address);
    return;
  }
  const lineEnd = text.indexOf('\r\n');
  socket.send(`${text.slice(0, lineEnd)}\r\n${ownVia}${forwarded++}${text.slice(lineEnd)}`, registered.port, registered.address);
});
socket.bind(port, '127.0.0.1', () => console.log(`udp 127.0.0.1:${port}`));
