import { createHash } from 'node:crypto';

/*
 * RFC 4013 SASLprep, reduced to what changes real passwords: characters "commonly mapped to
 * nothing" (RFC 3454 B.1) are removed, non-ASCII spaces (C.1.2) become U+0020, then NFKC
 * (RFC 4013 §2.2). The prohibited-output and bidi checks (§2.3, §2.4) are not done: input they
 * would reject is hashed as mapped instead of refused. For ASCII input this is the identity.
 */
const MAPPED_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/gu;
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;

/** SASLprep (RFC 4013), minus the prohibited-output and bidi checks; see above. */
export function saslPrep(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  return text.replace(MAPPED_TO_NOTHING, '').replace(NON_ASCII_SPACE, ' ').normalize('NFKC');
}

/**
 * The long-term credential key MD5(username ":" realm ":" SASLprep(password)) used for
 * MESSAGE-INTEGRITY. RFC 8489 §9.2.2. Username and realm are used as given (they were
 * prepared when the server issued them); the password goes through `saslPrep`.
 */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return createHash('md5').update(`${username}:${realm}:${saslPrep(password)}`, 'utf8').digest();
}
