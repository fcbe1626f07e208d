/** Documented exit codes of `natkit` (README: "Exit codes"). */
export const ExitCode = {
  /** The diagnosis completed: every tested family has a mapping and filtering verdict. */
  Ok: 0,
  /** An unexpected error. */
  Error: 1,
  /** Bad command line (unknown option, bad server address). */
  Usage: 2,
  /** No STUN server answered over UDP in any tested family: UDP blocked, or no server listening. */
  UdpBlocked: 3,
  /** UDP works, but some verdict is unknown (e.g. the server lacks RFC 5780 support): see warnings. */
  Incomplete: 4,
  /** relay-check: the TURN server did not relay (wrong credentials, forbidden, no answer, refused). */
  RelayFailed: 5,
  /** ping/pipe: the peer could not be reached (not registered, no answer), or no pong came back. */
  Unreachable: 6,
} as const;
