/**
 * HS256 JSON Web Tokens (RFC 7519) with node:crypto only: what the client sends as
 * `Authorization: Bearer <jwt>` and what the reference backend verifies.
 *
 * Only HS256 is accepted. `alg: none`, RS256 and anything else are refused before the signature is
 * looked at, so a token can never choose a weaker check than the verifier intends.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ClientMt5Error } from './errors.js';

/** Registered claims the link relies on; any other JSON claims travel along untouched. */
export interface JwtClaims {
  /** The client identity (one per bridge installation); the backend keys its stream state by it. */
  sub: string;
  /** Expiry, seconds since the Unix epoch (NumericDate). */
  exp: number;
  /** Issued at, seconds since the Unix epoch. */
  iat?: number;
  /** Not before, seconds since the Unix epoch. */
  nbf?: number;
  [claim: string]: unknown;
}

/** Tokens longer than this are refused unparsed (a header line should never carry more). */
export const JWT_MAX_LENGTH = 8192;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HS256_SIGNATURE_BYTES = 32;

/** Signs `claims` with HS256. `sub` must be a non-empty string and `exp` a finite number. */
export function signJwt(claims: JwtClaims, secret: string | Buffer): string {
  checkSecret(secret);
  checkClaims(claims);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signature = hmac(`${header}.${payload}`, secret).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * Verifies an HS256 token and returns its claims. Throws ClientMt5Error('BACKEND_AUTH') saying
 * why: malformed, wrong algorithm, bad signature, expired, not yet valid, or missing claims.
 * @param nowMs the clock to judge `exp`/`nbf` against (UTC ms), `Date.now()` by default.
 */
export function verifyJwt(token: string, secret: string | Buffer, nowMs: number = Date.now()): JwtClaims {
  checkSecret(secret);
  if (typeof token !== 'string' || token.length === 0) fail('malformed token: empty');
  if (token.length > JWT_MAX_LENGTH) fail(`malformed token: longer than ${JWT_MAX_LENGTH} characters`);
  const parts = token.split('.');
  if (parts.length !== 3) fail(`malformed token: expected 3 dot-separated parts, got ${parts.length}`);
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) {
    fail('malformed token: parts must be non-empty base64url');
  }

  const header = parseJsonObject(headerPart, 'header');
  if (header.alg !== 'HS256') fail(`wrong alg: only HS256 is accepted, got ${JSON.stringify(header.alg) ?? 'nothing'}`);

  const given = Buffer.from(signaturePart, 'base64url');
  const expected = hmac(`${headerPart}.${payloadPart}`, secret);
  // Length first (timingSafeEqual throws on unequal lengths); the length of an HS256 MAC is public.
  if (given.length !== HS256_SIGNATURE_BYTES || !timingSafeEqual(given, expected)) {
    fail('bad signature: the token was not signed with this secret, or it was altered');
  }

  const claims = parseJsonObject(payloadPart, 'payload');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) fail('malformed token: claim "sub" must be a non-empty string');
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) fail('malformed token: claim "exp" must be a number (seconds)');
  const nowS = nowMs / 1000;
  if (nowS >= claims.exp) {
    fail(`expired: exp ${new Date(claims.exp * 1000).toISOString()} is not after now ${new Date(nowMs).toISOString()}`);
  }
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) fail('malformed token: claim "nbf" must be a number (seconds)');
    if (nowS < claims.nbf) fail(`not yet valid: nbf ${new Date(claims.nbf * 1000).toISOString()} is after now`);
  }
  return claims as JwtClaims;
}

function hmac(data: string, secret: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function parseJsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    fail(`malformed token: the ${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`malformed token: the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function checkSecret(secret: string | Buffer): void {
  if (secret === undefined || secret === null || secret.length === 0) {
    throw new ClientMt5Error('BACKEND_AUTH', 'JWT secret must not be empty');
  }
}

function checkClaims(claims: JwtClaims): void {
  if (typeof claims?.sub !== 'string' || claims.sub.length === 0) {
    throw new ClientMt5Error('BACKEND_AUTH', `JWT claim "sub" must be a non-empty string, got ${JSON.stringify(claims?.sub) ?? 'nothing'}`);
  }
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new ClientMt5Error('BACKEND_AUTH', `JWT claim "exp" must be a number of seconds, got ${JSON.stringify(claims.exp) ?? 'nothing'}`);
  }
}

function fail(reason: string): never {
  throw new ClientMt5Error('BACKEND_AUTH', `JWT rejected, ${reason}`);
}
