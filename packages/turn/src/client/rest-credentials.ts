import { restPassword } from '../auth/rest-credentials.js';
import type { LongTermCredentials } from './client-auth-state.js';

export interface RestCredentialOptions {
  /** The shared secret configured on the server. */
  readonly secret: string;
  /** Optional user id after the expiry (`expiry:user`); the bare expiry when omitted. */
  readonly user?: string;
  /** Validity from `nowSeconds`; 86400 (one day) by default. */
  readonly ttlSeconds?: number;
  /** Unix time in seconds (wall clock: the server compares the expiry with its own). */
  readonly nowSeconds: number;
  /** Separator between expiry and user; ':' (coturn's default, `-C`). */
  readonly separator?: string;
}

/**
 * Ephemeral TURN REST API credentials for a server that shares `secret` (coturn
 * `use-auth-secret`, natkit `--auth-secret`), made on the client side the way `turnutils_uclient
 * -W` makes them: user `expiry:user`, password base64(HMAC-SHA1(secret, user)).
 */
export function restCredentials(options: RestCredentialOptions): LongTermCredentials {
  const expiry = Math.floor(options.nowSeconds) + (options.ttlSeconds ?? 86_400);
  const username = options.user === undefined || options.user === '' ? String(expiry) : `${expiry}${options.separator ?? ':'}${options.user}`;
  return { username, password: restPassword(options.secret, username) };
}
