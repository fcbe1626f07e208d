import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IdentityError } from './errors.js';
import { Identity } from './identity.js';

/**
 * Key files hold one PEM PKCS#8 Ed25519 private key (RFC 8410), the format of
 * `openssl genpkey -algorithm ed25519`, readable with `openssl pkey -in FILE -pubout`.
 * They are created with mode 0600 and refused, like ssh does, when group or others may read or
 * write them (any of the 0077 bits). On Windows modes are not checked.
 */
const MAX_KEY_FILE_BYTES = 16 * 1024;
const KEY_FILE_MODE = 0o600;

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

async function checkKeyFile(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new IdentityError('ERR_KEY_FILE_IO', `cannot read key file ${path}: ${(error as Error).message}`, error);
  }
  if (!info.isFile()) throw new IdentityError('ERR_KEY_FILE_IO', `key file ${path} is not a regular file`);
  if (info.size > MAX_KEY_FILE_BYTES) throw new IdentityError('ERR_KEY_FILE_FORMAT', `key file ${path} is ${info.size} bytes, too big for a key`);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new IdentityError(
      'ERR_KEY_FILE_PERMISSIONS',
      `key file ${path} has mode ${mode}: other users may read it; run \`chmod 600 ${path}\` (or make a new key)`,
    );
  }
}

/** Reads an identity from a key file. Throws `IdentityError` with a `ERR_KEY_FILE_*` code. */
export async function loadIdentity(path: string): Promise<Identity> {
  await checkKeyFile(path);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw new IdentityError('ERR_KEY_FILE_IO', `cannot read key file ${path}: ${(error as Error).message}`, error);
  }
  try {
    return Identity.fromPem(pem);
  } catch (error) {
    const why = error instanceof IdentityError ? error.message : 'unreadable';
    throw new IdentityError('ERR_KEY_FILE_FORMAT', `key file ${path} is not a PEM PKCS#8 Ed25519 private key (${why})`, error);
  }
}

/**
 * Writes `identity` to a new file with mode 0600 (creating missing directories with 0700).
 * Never overwrites: an existing file gives `ERR_KEY_FILE_IO` with `cause.code === 'EEXIST'`.
 */
export async function saveIdentity(path: string, identity: Identity): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const file = await open(path, 'wx', KEY_FILE_MODE);
    try {
      await file.writeFile(identity.toPem(), 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new IdentityError('ERR_KEY_FILE_IO', `cannot create key file ${path}: ${(error as Error).message}`, error);
  }
}

/**
 * Loads the key file at `path`, or creates it with a new key (mode 0600) when it does not exist.
 * `created` says which. A file that appears between the two steps (another process) is loaded.
 */
export async function loadOrCreateIdentity(path: string): Promise<{ identity: Identity; created: boolean }> {
  try {
    return { identity: await loadIdentity(path), created: false };
  } catch (error) {
    if (!(error instanceof IdentityError && isErrno(error.cause, 'ENOENT'))) throw error;
  }
  const identity = Identity.generate();
  try {
    await saveIdentity(path, identity);
    return { identity, created: true };
  } catch (error) {
    if (error instanceof IdentityError && isErrno(error.cause, 'EEXIST')) return { identity: await loadIdentity(path), created: false };
    throw error;
  }
}
