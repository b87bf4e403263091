// Throwaway certificates made with the openssl CLI: a test CA and a server certificate it issued
// for the loopback address, as PEM files in `dir`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args) {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

// Returns { caFile, ca (PEM text), certFile, keyFile } for a certificate of 127.0.0.1 and
// localhost; `label` names the files, so one dir can hold several.
export function makeServerCertificate(dir, label = 'server') {
  const caKey = join(dir, `${label}-ca-key.pem`);
  const caFile = join(dir, `${label}-ca.pem`);
  const keyFile = join(dir, `${label}-key.pem`);
  const request = join(dir, `${label}.csr`);
  const certFile = join(dir, `${label}.pem`);
  const extensions = join(dir, `${label}.ext`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${label} test CA`,
    '-keyout', caKey, '-out', caFile]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${label}`, '-keyout', keyFile, '-out', request]);
  writeFileSync(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', request, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '1',
    '-extfile', extensions, '-out', certFile]);
  return { caFile, ca: readFileSync(caFile, 'utf8'), certFile, keyFile };
}
