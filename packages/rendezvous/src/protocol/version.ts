/**
 * The protocol version. A client offers the WebSocket subprotocol `natkit-rendezvous.v<N>` for
 * every version it speaks (RFC 6455 §1.9, Sec-WebSocket-Protocol); the server picks the highest it
 * also speaks and names it again in `hello.version`. A connection that offers none the server
 * speaks gets one `error` with code `unsupported-version` and is closed.
 */
export const PROTOCOL_VERSION = 2;

/** The subprotocol name of a version. */
export function subprotocolOf(version: number): string {
  return `natkit-rendezvous.v${version}`;
}

/**
 * The WebSocket subprotocol of this version: `natkit-rendezvous.v2`. v2 adds address verification
 * (`verify-address`, `address-token`, `address-proof`, `address-verified`, PeerInfo `verified`); a v1 session gets
 * none of them (its `introduce` carries no `verified`, `verify-address` is `unknown-type` to it).
 */
export const SUBPROTOCOL = subprotocolOf(PROTOCOL_VERSION);

/** Versions this code speaks, highest first. */
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION, 1];

/** The version a list of offered subprotocols selects, or null when none is supported. */
export function selectVersion(offered: Iterable<string>): number | null {
  const names = new Set(offered);
  for (const version of SUPPORTED_VERSIONS) if (names.has(subprotocolOf(version))) return version;
  return null;
}
