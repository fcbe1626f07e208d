import { createHmac } from 'node:crypto';

/**
 * TURN REST API ephemeral credentials (draft-uberti-behave-turn-rest, coturn `use-auth-secret`):
 * username `expiry:user` (expiry in Unix seconds), password base64(HMAC-SHA1(secret, username)).
 */
export function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

/**
 * The expiry (Unix seconds) of a REST username `expiry:user` or `expiry`; undefined when the
 * part before the first separator is not a decimal timestamp.
 */
export function restExpiry(username: string, separator = ':'): number | undefined {
  const cut = username.indexOf(separator);
  const head = cut < 0 ? username : username.slice(0, cut);
  if (!/^\d{1,12}$/.test(head)) return undefined;
  return Number(head);
}

export interface RestCredentials {
  readonly username: string;
  readonly password: string;
  /** Expiry in Unix seconds. */
  readonly expiresAt: number;
}

/** Attempts to find a password without `+` or `/` (each try succeeds with p ~ 0.4). */
const MINT_ATTEMPTS = 64;

/**
 * Mints REST credentials for `user`, valid `ttlSeconds` from `nowSeconds` (Unix). The expiry is
 * moved forward by up to a minute so that the base64 password holds no `+` or `/` (URL-safe
 * without escaping for naive URL builders). The colon of `expiry:user` still needs
 * percent-encoding in a `turn:user:pass@host` URL (libdatachannel splits at the first colon):
 * use `turnUrl()` or the object form.
 */
export function mintRestCredentials(secret: string, user: string, ttlSeconds: number, nowSeconds: number): RestCredentials {
  const base = Math.floor(nowSeconds + ttlSeconds);
  let fallback: RestCredentials | undefined;
  for (let i = 0; i < MINT_ATTEMPTS; i++) {
    const expiresAt = base + i;
    const username = `${expiresAt}:${user}`;
    const password = restPassword(secret, username);
    const c = { username, password, expiresAt };
    if (!/[+/]/.test(password)) return c;
    fallback ??= c;
  }
  return fallback ?? { username: `${base}:${user}`, password: restPassword(secret, `${base}:${user}`), expiresAt: base };
}
