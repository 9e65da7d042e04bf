// Opening a SIP WebSocket connection as a client (RFC 7118 5: the `sip` subprotocol). Only the
// WebSocket client opens connections, so this is the client's side; servers only accept them.
import type { IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { formatHostPort } from '../sip/uri.js';
import { TransportError, fromSystemError } from './errors.js';
import type { TlsClientOptions } from './types.js';

export interface WsConnectOptions {
  timeoutMs: number;
  tls: TlsClientOptions;
  maxPayload: number;
  /**
   * The name the server was found under when the URL holds its resolved address: the certificate is
   * checked against it and it goes in SNI and the HTTP Host (RFC 5922 7, RFC 6455 4.1). An IP
   * address here changes nothing: the URL already says it.
   */
  serverName?: string;
}

/** TLS servername and Host header for a URL that names the server by address. */
function nameOptions(url: string, serverName: string | undefined): { servername?: string; headers?: Record<string, string> } {
  if (serverName === undefined || serverName === '' || isIP(serverName) !== 0) return {};
  const parsed = new URL(url);
  const port = parsed.port === '' ? (parsed.protocol === 'wss:' ? 443 : 80) : Number(parsed.port);
  const host = formatHostPort(serverName, port);
  return parsed.protocol === 'wss:' ? { servername: serverName, headers: { Host: host } } : { headers: { Host: host } };
}

/** Resolves with the open WebSocket and the TCP/TLS socket under it; rejects with a TransportError. */
export function openWebSocket(url: string, options: WsConnectOptions): Promise<{ ws: WebSocket; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'sip', {
      handshakeTimeout: options.timeoutMs,
      maxPayload: options.maxPayload,
      rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
      ca: options.tls.ca,
      ...nameOptions(url, options.serverName),
    });
    let socket: Socket | undefined;
    ws.once('upgrade', (response: IncomingMessage) => {
      socket = response.socket as Socket;
    });
    const onError = (err: Error): void => {
      ws.terminate();
      reject(fromSystemError(err, `WebSocket ${url}`));
    };
    ws.once('error', onError);
    ws.once('open', () => {
      ws.off('error', onError);
      // RFC 7118 4.1: the server must choose the `sip` subprotocol.
      if (ws.protocol !== 'sip' || socket === undefined) {
        ws.terminate();
        reject(new TransportError('connection-refused', `WebSocket ${url}: the server did not accept the "sip" subprotocol (RFC 7118)`));
        return;
      }
      resolve({ ws, socket });
    });
  });
}
