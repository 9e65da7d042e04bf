// The Node floor for REGISTER: a bare UDP server that answers every request with a fixed 200 OK
// built from the request's own Via, From, To, Call-ID, CSeq and Contact lines. No parsing beyond
// finding those lines, no state, no storage: what one Node thread pays to receive and send a
// datagram, against which the registrar's own cost is measured (`npm run bench -- register`).
// usage: node bench/floor/register-echo.mjs PORT
import { createSocket } from 'node:dgram';
import { headerLine } from './header-line.mjs';

const port = Number(process.argv[2]);
// 4 MB buffers, as simplesip and the Kamailio config ask for (the kernel caps them at rmem_max).
const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
socket.on('message', (data, from) => {
  const text = data.toString('latin1');
  const answer = [
    'SIP/2.0 200 OK',
    `${headerLine(text, 'Via')};received=${from.address}`,
    headerLine(text, 'From'),
    `${headerLine(text, 'To')};tag=floor`,
    headerLine(text, 'Call-ID'),
    headerLine(text, 'CSeq'),
    `${headerLine(text, 'Contact')};expires=3600`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  socket.send(answer, from.port, from.address);
});
socket.bind(port, '127.0.0.1', () => console.log(`udp 127.0.0.1:${port}`));
