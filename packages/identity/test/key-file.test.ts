import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Identity, IdentityError, loadIdentity, loadOrCreateIdentity, saveIdentity } from '../src/index.js';

const posix = process.platform !== 'win32';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('key files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'natkit-identity-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing key file with mode 0600 (and its directory), then loads the same identity', async () => {
    const path = join(dir, 'nested', 'key.pem');
    const first = await loadOrCreateIdentity(path);
    expect(first.created).toBe(true);
    if (posix) expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateIdentity(path);
    expect(again).toMatchObject({ created: false });
    expect(again.identity.peerId).toBe(first.identity.peerId);
  });

  it('two processes racing to create the file end with one identity', async () => {
    const path = join(dir, 'key.pem');
    const [a, b] = await Promise.all([loadOrCreateIdentity(path), loadOrCreateIdentity(path)]);
    expect(a.identity.peerId).toBe(b.identity.peerId);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
  });

  it.runIf(posix)('refuses a key file that others can read, and says how to fix it', async () => {
    const path = join(dir, 'key.pem');
    await saveIdentity(path, Identity.generate());
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      await chmod(path, mode);
      const error = await loadIdentity(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IdentityError);
      expect((error as IdentityError).code).toBe('ERR_KEY_FILE_PERMISSIONS');
      expect((error as IdentityError).message).toContain(`chmod 600 ${path}`);
      // loadOrCreate does not paper over it with a new key either
      await expect(loadOrCreateIdentity(path)).rejects.toMatchObject({ code: 'ERR_KEY_FILE_PERMISSIONS' });
    }
    await chmod(path, 0o400);
    await expect(loadIdentity(path)).resolves.toBeInstanceOf(Identity);
  });

  it('never overwrites an existing key', async () => {
    const path = join(dir, 'key.pem');
    const identity = Identity.generate();
    await saveIdentity(path, identity);
    await expect(saveIdentity(path, Identity.generate())).rejects.toMatchObject({ code: 'ERR_KEY_FILE_IO' });
    expect((await loadIdentity(path)).peerId).toBe(identity.peerId);
  });

  it('refuses garbage, other key types, huge files and directories with a clear error', async () => {
    const path = join(dir, 'key.pem');
    await writeFile(path, 'not a key\n', { mode: 0o600 });
    await expect(loadIdentity(path)).rejects.toMatchObject({ code: 'ERR_KEY_FILE_FORMAT' });
    await rm(path);
    await writeFile(path, 'x'.repeat(100_000), { mode: 0o600 });
    await expect(loadIdentity(path)).rejects.toMatchObject({ code: 'ERR_KEY_FILE_FORMAT', message: expect.stringMatching(/too big/) });
    await expect(loadIdentity(dir)).rejects.toMatchObject({ code: 'ERR_KEY_FILE_IO' });
    await expect(loadIdentity(join(dir, 'missing.pem'))).rejects.toMatchObject({ code: 'ERR_KEY_FILE_IO' });
  });

  it.runIf(hasOpenssl())('reads a key made by openssl, and openssl reads ours (same public key)', async () => {
    const theirs = join(dir, 'openssl.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', theirs]);
    await chmod(theirs, 0o600);
    const identity = await loadIdentity(theirs);
    const der = execFileSync('openssl', ['pkey', '-in', theirs, '-pubout', '-outform', 'DER']);
    expect(Buffer.from(der.subarray(-32))).toEqual(Buffer.from(identity.publicKey));

    const ours = join(dir, 'ours.pem');
    const mine = Identity.generate();
    await saveIdentity(ours, mine);
    const derOurs = execFileSync('openssl', ['pkey', '-in', ours, '-pubout', '-outform', 'DER']);
    expect(Buffer.from(derOurs.subarray(-32))).toEqual(Buffer.from(mine.publicKey));
  });
});
