// A throw-away self-signed certificate for TLS and WSS tests (CN=localhost, valid one day).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate (also usable as a CA for clients that verify). */
  cert: string;
  key: string;
  /** Removes the temporary directory. */
  remove(): void;
}

/** `subjectAltName` replaces the default `DNS:localhost,IP:127.0.0.1,IP:::1` (e.g. `DNS:localhost` alone). */
export function makeTestCertificate(options: { subjectAltName?: string } = {}): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-cert-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-addext', `subjectAltName=${options.subjectAltName ?? 'DNS:localhost,IP:127.0.0.1,IP:::1'}`,
      '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot make a test certificate with openssl (apt-get install openssl): ${(err as Error).message}`);
  }
  return {
    certFile,
    keyFile,
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
