// Google's OAuth 2.0 token endpoint (POST /token) for service accounts: it takes the RFC 7523
// jwt-bearer grant, VERIFIES the assertion's RS256 signature with the public key of a service
// account the test trusted (trustServiceAccount), checks its claims as Google does (iss, aud,
// scope, iat/exp within the hour) and issues opaque access tokens that expire after the
// account's `expiresIn` seconds. vertex.mjs accepts only tokens issued here and not yet expired.
// Tests script the endpoint with failTokenRequests(status) (e.g. 503 = down) until it is called
// again with null.
import { createPublicKey, randomBytes, verify } from 'node:crypto';

const kGrantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const kScope = 'https://www.googleapis.com/auth/cloud-platform';

const trusted = new Map();  // client_email → { publicKey, audience, expiresIn }
const issued = new Map();   // access token → { clientEmail, expiresAt (ms) }
let failureStatus = null;

// Accepts assertions signed by this account's key (a PEM public key) for `audience` (the key
// file's token_uri); its tokens live `expiresIn` seconds.
export function trustServiceAccount({ clientEmail, publicKeyPem, audience, expiresIn = 3600 }) {
  trusted.set(clientEmail, { publicKey: createPublicKey(publicKeyPem), audience, expiresIn });
}

export function failTokenRequests(status) {
  failureStatus = status;
}

// The token if it was issued here and has not expired, else null.
export function issuedToken(token) {
  const entry = issued.get(token);
  return entry && entry.expiresAt > Date.now() ? entry : null;
}

export function issuedTokens() {
  return [...issued.keys()];
}

function invalidGrant(description) {
  return { error: 'invalid_grant', error_description: description };
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// The problem with an assertion, in Google's words, or null when it is good.
function assertionProblem(assertion) {
  const parts = (assertion ?? '').split('.');
  if (parts.length !== 3) return invalidGrant('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
  let header;
  let claims;
  try {
    header = decodePart(parts[0]);
    claims = decodePart(parts[1]);
  } catch {
    return invalidGrant('Invalid JWT: not base64url JSON.');
  }
  if (header.alg !== 'RS256' || header.typ !== 'JWT') return invalidGrant('Invalid JWT: unsupported algorithm.');
  const account = trusted.get(claims.iss);
  if (!account) return { error: 'invalid_client', error_description: 'The OAuth client was not found.' };
  const signed = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), account.publicKey, Buffer.from(parts[2], 'base64url'));
  if (!signed) return invalidGrant('Invalid JWT Signature.');
  if (claims.aud !== account.audience) return invalidGrant(`Invalid JWT: audience must be ${account.audience}.`);
  if (claims.scope !== kScope) return invalidGrant('Invalid JWT: scope must be cloud-platform for this mock.');
  const now = Math.floor(Date.now() / 1000);
  const timely = Number.isInteger(claims.iat) && Number.isInteger(claims.exp) && claims.exp - claims.iat <= 3600 &&
    claims.exp > claims.iat && Math.abs(claims.iat - now) <= 300;
  if (!timely) return invalidGrant('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
  return null;
}

export const googleOAuth = {
  name: 'google_oauth',
  route(method, url) {
    return method === 'POST' && url.pathname === '/token' ? 'token' : null;
  },
  respond(exchange, { headers }) {
    if (failureStatus !== null) {
      return exchange.json(failureStatus, { error: 'temporarily_unavailable', error_description: `mock token endpoint scripted to answer ${failureStatus}` });
    }
    if (!(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return exchange.json(400, { error: 'invalid_request', error_description: 'Expected a form body.' });
    }
    const form = new URLSearchParams(exchange.record.rawBody);
    if (form.get('grant_type') !== kGrantType) {
      return exchange.json(400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.get('grant_type')}` });
    }
    const problem = assertionProblem(form.get('assertion'));
    if (problem) return exchange.json(problem.error === 'invalid_client' ? 401 : 400, problem);
    const clientEmail = decodePart(form.get('assertion').split('.')[1]).iss;
    const { expiresIn } = trusted.get(clientEmail);
    const token = `ya29.mock-${randomBytes(12).toString('hex')}`;
    issued.set(token, { clientEmail, expiresAt: Date.now() + expiresIn * 1000 });
    return exchange.json(200, { access_token: token, expires_in: expiresIn, token_type: 'Bearer' });
  },
};
