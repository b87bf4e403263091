// A throwaway Google service account for the Vertex AI tests: a fresh RSA key pair
// (node:crypto), its key file written to a temp dir as Google issues them, and the mock token
// endpoint (mock_upstream/dialects/google_oauth.mjs) told to trust its public key.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { trustServiceAccount } from '../mock_upstream/dialects/google_oauth.mjs';

// tokenUri: the key file's token_uri (the mock's /token); expiresIn: the lifetime of the tokens
// the mock issues for it. Returns { path, json, keyFile, clientEmail, privateKeyPem }.
export function makeServiceAccount({ tokenUri, expiresIn = 3600, name = 'llmux-test', trust = true }) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const clientEmail = `${name}-${randomBytes(3).toString('hex')}@llmux-test-project.iam.gserviceaccount.com`;
  const keyFile = {
    type: 'service_account',
    project_id: 'llmux-test-project',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: '100000000000000000001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'llmux-vertex-')), 'service-account.json');
  writeFileSync(path, JSON.stringify(keyFile, null, 2));
  if (trust) {
    trustServiceAccount({ clientEmail, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), audience: tokenUri, expiresIn });
  }
  return { path, json: JSON.stringify(keyFile), keyFile, clientEmail, privateKeyPem };
}
