/**
 * A throw-away certificate authority made at test time with the `openssl` command: a CA certificate (for
 * NODE_EXTRA_CA_CERTS) and a server certificate it signed for the names a test serves.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The files and bytes of a test PKI. */
export interface TestPki {
  /** Path of the CA certificate (PEM), for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  /** The server certificate (PEM) and its private key. */
  cert: Buffer;
  key: Buffer;
}

/** Why certificates cannot be made here (no openssl), or undefined when they can. */
export function opensslMissingReason(): string | undefined {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (r.error) return `openssl is not installed (${r.error.message}); the NODE_EXTRA_CA_CERTS and proxy tests need it to make a test CA`;
  return r.status === 0 ? undefined : `openssl version failed: ${r.stderr.trim()}`;
}

/** Runs openssl in `dir`; throws with its stderr when it fails. */
function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA and a server certificate for `dnsNames` (plus 127.0.0.1) in `dir`, valid for two days. */
export function makeTestPki(dir: string, dnsNames: string[]): TestPki {
  openssl(dir, [
    'req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=hermes-onboard test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(dir, ['req', '-new', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${dnsNames[0]}`]);
  const names = [...dnsNames.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  writeFileSync(
    path.join(dir, 'server.ext'),
    `subjectAltName=${names}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(dir, [
    'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x4845524d4553',
    '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext',
  ]);
  return {
    caPath: path.join(dir, 'ca.pem'),
    cert: readFileSync(path.join(dir, 'server.pem')),
    key: readFileSync(path.join(dir, 'server.key')),
  };
}
