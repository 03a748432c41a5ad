/**
 * A throwaway certificate authority for TLS tests, made with Debian's openssl in a temp dir: a CA,
 * a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './tmp.ts';

export const OPENSSL_BIN = '/usr/bin/openssl';

export interface TestPki {
  readonly dir: string;
  /** File paths (PEM). */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** File contents. */
  read(file: string): Promise<string>;
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(OPENSSL_BIN, [...args], { cwd }, (err, _out, stderr) => (err ? reject(new Error(`openssl ${args[0]} failed: ${stderr}`, { cause: err })) : resolve()));
  });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makePki(t: Pick<TestContext, 'after'>): Promise<TestPki> {
  const dir = await tempDir(t, 'keyplate-pki');
  await openssl(['req', '-x509', ...EC, '-subj', '/CN=keyplate test CA', '-days', '1', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const leaf = async (name: string, cn: string, ext: string) => {
    await writeFile(join(dir, `${name}.ext`), `${ext}\n`);
    await openssl(['req', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
  };
  await leaf('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  await leaf('client', 'keyplate', 'extendedKeyUsage=clientAuth');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    read: (file) => readFile(file, 'utf8'),
  };
}
