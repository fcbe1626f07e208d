/**
 * Thrown by @natkit/identity for a local mistake (a key of the wrong size, an invalid signature
 * context) or a key file it refuses to use. Decoding a peer id and verifying a signature never
 * throw: they return a result or `false`.
 * Codes:
 * - `ERR_IDENTITY_KEY`: a public key or seed that is not a usable Ed25519 key;
 * - `ERR_SIGNATURE_CONTEXT`: a signature context outside 1-64 printable ASCII characters;
 * - `ERR_KEY_FILE_PERMISSIONS`: the key file can be read or written by other users;
 * - `ERR_KEY_FILE_FORMAT`: the key file is not a PEM PKCS#8 Ed25519 private key;
 * - `ERR_KEY_FILE_IO`: the key file cannot be read or created.
 */
export class IdentityError extends Error {
  override readonly name: string = 'IdentityError';
  constructor(
    readonly code: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
