// Opening TCP and TLS connections to a peer (RFC 3261 18.1.1: a request to a target with no open
// connection; 18.2.2: a response whose connection is gone).
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { isIP } from 'node:net';
import { formatHostPort } from '../sip/uri.js';
import { TransportError, fromSystemError } from './errors.js';
import type { TlsClientOptions } from './types.js';

export interface ConnectOptions {
  timeoutMs: number;
  tls: TlsClientOptions;
  /** TLS: the name the certificate must carry (SNI); IP targets send none (RFC 6066 3). */
  serverName?: string;
}

/** Resolves with the connected (for tls: handshaken) socket; rejects with a TransportError. */
export function openStream(protocol: 'tcp' | 'tls', address: string, port: number, options: ConnectOptions): Promise<Socket> {
  const what = `${protocol} to ${formatHostPort(address, port)}`;
  return new Promise((resolve, reject) => {
    const socket = protocol === 'tls'
      ? connectTls({
        host: address,
        port,
        servername: options.serverName !== undefined && isIP(options.serverName) === 0 ? options.serverName : undefined,
        rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
        ca: options.tls.ca,
      })
      : connectTcp({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TransportError('connect-timeout', `${what}: no connection after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    socket.once(protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(fromSystemError(err, what));
    };
    socket.once('error', onError);
  });
}
