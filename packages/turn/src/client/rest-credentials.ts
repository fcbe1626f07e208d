import { createHmac } from 'node:crypto';
import type { LongTermCredentials } from './client-auth-state.js';

/**
 * The TURN REST API password of a user name: base64(HMAC-SHA1(secret, username)), as coturn's
 * `use-auth-secret` computes it (draft-uberti-behave-turn-rest-00 §2.2).
 */
export function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

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

/** Ephemeral credentials for a server that shares `secret`: user `expiry:user`, password HMAC. */
export function restCredentials(options: RestCredentialOptions): LongTermCredentials {
  const expiry = Math.floor(options.nowSeconds) + (options.ttlSeconds ?? 86_400);
  const username = options.user === undefined || options.user === '' ? String(expiry) : `${expiry}${options.separator ?? ':'}${options.user}`;
  return { username, password: restPassword(options.secret, username) };
}
