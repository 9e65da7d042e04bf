// TLS material: for tls/wss listeners, PEM text or files holding it; for connections we open, the
// certificates we trust.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, rootCertificates } from 'node:tls';
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

/**
 * The CA list for connections we open as a TLS client: the PEM certificates in `file` (a private CA,
 * a self-signed peer) besides Node's root store, since a `ca` given to TLS replaces that store.
 * Node would silently ignore a file with no usable certificate in it, and then every peer would fail
 * its check; such a file is refused here, naming it.
 */
export function loadTrustedCa(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TransportError('no-certificate', `cannot read the CA file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TransportError('no-certificate', `the CA file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new TransportError('no-certificate', `the CA file ${file}: certificate ${i + 1} cannot be read: ${(err as Error).message}`, { cause: err });
    }
  }
  return [...rootCertificates, ...blocks].join('\n');
}
