// TLS material for tls/wss listeners: PEM text, or files holding it.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { TransportError } from './errors.js';
import type { TlsCredentials } from './types.js';

function load(text: string | undefined, file: string | undefined, what: string): string | undefined {
  if (text !== undefined) return text;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TransportError('no-certificate', `cannot read the TLS ${what} file "${file}": ${(err as Error).message}`, { cause: err });
  }
}

/** `spec` names the listener in the error: `tls:[::1]:5061 needs a certificate: ...`. */
export function loadCredentials(spec: string, credentials: TlsCredentials | undefined): { cert: string; key: string } {
  const cert = load(credentials?.cert, credentials?.certFile, 'certificate');
  const key = load(credentials?.key, credentials?.keyFile, 'key');
  if (cert === undefined || key === undefined) {
    throw new TransportError('no-certificate', `${spec} needs a certificate: pass --tls-cert FILE and --tls-key FILE`);
  }
  // OpenSSL's own words ("PEM routines::no start line", "key values mismatch") name neither file.
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TransportError('no-certificate', `${spec}: the TLS certificate and key (--tls-cert, --tls-key) cannot be used: ${(err as Error).message}`, { cause: err });
  }
  return { cert, key };
}
