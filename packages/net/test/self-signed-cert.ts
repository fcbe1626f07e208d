import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway self-signed certificate for 127.0.0.1 / localhost, PEM. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

/** Why no certificate can be made here, or undefined when `openssl` is available. */
export function certificateUnavailable(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore', timeout: 5000 });
    return undefined;
  } catch {
    return 'openssl is not installed (needed to make a test certificate; node:crypto cannot make X.509)';
  }
}

/**
 * Makes a fresh key pair and self-signed certificate with `openssl` (EC P-256, valid one day,
 * subjectAltName 127.0.0.1, ::1, localhost and `extraIps`); the temporary directory is removed at once.
 */
export function makeSelfSignedCertificate(extraIps: readonly string[] = []): TestCertificate {
  const san = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...extraIps.map((ip) => `IP:${ip}`)].join(',');
  const dir = mkdtempSync(join(tmpdir(), 'natkit-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost',
        '-addext', `subjectAltName=${san}`,
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
