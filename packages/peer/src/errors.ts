/**
 * Thrown by @natkit/peer for a local mistake, never for what a remote peer sends (that is
 * dropped and counted). Codes:
 * - `ERR_PAYLOAD_TOO_BIG`: `seal` got more than the session's payload limit;
 * - `ERR_SESSION_EXHAUSTED`: the session's message counter reached its limit (2^53, never in practice);
 * - `ERR_SESSION_CONFIG`: an invalid option (connection id, rekey interval, remote peer id);
 * - `ERR_PEER_OPTION`: an invalid createPeer option (e.g. `server6` not an IPv6 address next to an IPv4 `server`);
 * - `ERR_PEER_CONNECTION_LOST`: not thrown, carried by a connection's `close` event: no path
 *   answered for the idle timeout.
 */
export class PeerError extends Error {
  override readonly name: string = 'PeerError';
  constructor(
    readonly code: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
