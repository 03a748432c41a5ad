/**
 * File primitives of the pipeline: stage a render next to its destination (same filesystem, so the
 * install is an atomic rename), fingerprint and compare it, replace the destination (with a
 * write-in-place fallback for bind-mounted files), and print a unified diff for `render --diff`.
 *
 * The per-pass path (snapshot, stage, rename, leftover scan) makes its small metadata and read/write
 * calls synchronously: each is a few microseconds of syscall, while a libuv thread-pool round trip
 * costs 50–700 µs on a busy host (fs.promises.readFile of a 3 KB file: ~0.7 ms). Only fsync, which
 * can block for milliseconds, runs off the event loop. The syscalls, and so the guarantees, are the same.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsc,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { chmod, chown, mkdir, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What "the same file" means: content hash, permission bits and owner. */
export interface Fingerprint {
  readonly sha256: string;
  /** Permission bits only (`mode & 0o7777`). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** The desired mode/owner; undefined = keep the existing destination's, else 0644 / effective ids. */
export interface FilePerms {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** A file as found on disk: its bytes and fingerprint (kept in memory for rollback). */
export interface FileSnapshot {
  readonly path: string;
  readonly contents: Buffer;
  readonly fingerprint: Fingerprint;
}

export interface StagedFile {
  /** The hidden temp file, `.<basename>.keyplate-<random>` in the destination's directory. */
  readonly path: string;
  readonly dest: string;
  readonly contents: Buffer;
  readonly fingerprint: Fingerprint;
  /** Remove the temp file (idempotent; never throws for a file already gone). */
  discard(): Promise<void>;
}

/** null = in sync; 'missing' = no destination yet; else what differs. */
export type FileDiff = { readonly content: boolean; readonly mode: boolean; readonly owner: boolean } | 'missing';

export type RenameFn = (from: string, to: string) => Promise<void>;

export interface ReplaceOptions {
  /** Injectable for tests (simulate EBUSY from a bind mount). Default fs.rename. */
  readonly rename?: RenameFn;
}

export type ReplaceMethod = 'rename' | 'in-place';

const STAGE_MARK = '.keyplate-';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Remove stage files of `dest` left by a keyplate that was killed mid-pass (SIGKILL, power loss).
 * A resource's passes are serial and no two resources share a destination, so any stage file of
 * `dest` found before staging is stale. Returns the names removed.
 */
export async function removeStaleStages(dest: string, listed?: readonly string[]): Promise<string[]> {
  const names = listed ?? listDirectory(dirname(dest));
  const stale = names.filter((n) => isStageName(n, basename(dest)));
  await Promise.all(stale.map((n) => unlinkQuietly(join(dirname(dest), n)).catch(() => undefined)));
  return stale;
}

/** The names in `dir`; empty when it cannot be listed (missing, not a directory, no permission). */
export function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** True for names this module gives to stage files (for cleanup and tests). */
export function isStageName(name: string, destBase?: string): boolean {
  if (!name.startsWith('.') || !name.includes(STAGE_MARK)) return false;
  return destBase === undefined || name.startsWith(`.${destBase}${STAGE_MARK}`);
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? ((e as NodeJS.ErrnoException).code ?? undefined) : undefined;
}

/** Read a file and its fingerprint; null when it does not exist. */
export async function snapshotFile(path: string): Promise<FileSnapshot | null> {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
    const contents = readFileSync(fd);
    return { path, contents, fingerprint: { sha256: sha256(contents), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } };
  } finally {
    closeSync(fd);
  }
}

function effectiveIds(): { uid: number; gid: number } {
  return { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
}

/** The mode/owner a render will get: explicit, else the existing file's, else 0644 / effective ids. */
export function resolvePerms(perms: FilePerms, existing: Omit<Fingerprint, 'sha256'> | null | undefined): Omit<Fingerprint, 'sha256'> {
  const ids = effectiveIds();
  return {
    mode: (perms.mode ?? existing?.mode ?? 0o644) & 0o7777,
    uid: perms.uid ?? existing?.uid ?? ids.uid,
    gid: perms.gid ?? existing?.gid ?? ids.gid,
  };
}

/** The fingerprint a render would have once staged, computed without touching the disk (noop). */
export function plannedFingerprint(contents: string | Buffer, perms: FilePerms, existing: Fingerprint | null): Fingerprint {
  return { sha256: sha256(contents), ...resolvePerms(perms, existing) };
}

/** mkdir -p with 0755 (template `make_directories`). */
export async function makeDirectories(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
}

async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

/**
 * chown the stage file. An explicit uid/gid must be applied; an inherited owner is best effort (as
 * in confd): an unprivileged keyplate cannot give a file away, and the rename replaces it anyway.
 */
function applyOwner(fd: number, want: { uid: number; gid: number }, perms: FilePerms): void {
  try {
    fchownSync(fd, want.uid, want.gid);
  } catch (e) {
    const explicit = perms.uid !== undefined || perms.gid !== undefined;
    if (explicit || errnoCode(e) !== 'EPERM') throw e;
  }
}

function statOrNull(path: string): Omit<Fingerprint, 'sha256'> | null {
  try {
    const st = statSync(path);
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
    return null;
  }
}

/** fsync off the event loop (the one call of a pass that can block for milliseconds). */
function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * Write `contents` to a hidden temp file beside `dest`, fsync it, apply mode and owner. On any
 * failure the temp file is removed before the error propagates.
 */
export async function stageFile(dest: string, contents: string | Buffer, perms: FilePerms, current?: Omit<Fingerprint, 'sha256'> | null): Promise<StagedFile> {
  // the caller's snapshot of the destination, when it just took one; else a stat
  const existing = current !== undefined ? current : statOrNull(dest);
  const want = resolvePerms(perms, existing);
  const path = join(dirname(dest), `.${basename(dest)}${STAGE_MARK}${randomBytes(6).toString('hex')}`);
  const data = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
  const fd = openSync(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    let st;
    try {
      writeFileSync(fd, data);
      await fsyncAsync(fd);
      applyOwner(fd, want, perms);
      fchmodSync(fd, want.mode);
      st = fstatSync(fd);
    } finally {
      closeSync(fd);
    }
    const fingerprint = { sha256: sha256(data), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    return { path, dest, contents: data, fingerprint, discard: () => unlinkQuietly(path) };
  } catch (e) {
    await unlinkQuietly(path).catch(() => undefined);
    throw e;
  }
}

/** Compare two fingerprints; null when identical. */
export function diffFingerprints(next: Fingerprint, current: Fingerprint | null): FileDiff | null {
  if (current === null) return 'missing';
  const d = {
    content: next.sha256 !== current.sha256,
    mode: next.mode !== current.mode,
    owner: next.uid !== current.uid || next.gid !== current.gid,
  };
  return d.content || d.mode || d.owner ? d : null;
}

/** rename(2) on the event loop (a metadata call of microseconds; see the top of this file). */
async function renameNow(from: string, to: string): Promise<void> {
  renameSync(from, to);
}

/** Best-effort fsync of a directory so a rename survives a crash. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const fh = await open(dir, fsc.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself already happened.
  }
}

/**
 * Replace `dest` with the staged file: rename (atomic). When rename fails with EBUSY/EXDEV (the
 * destination is a bind mount, e.g. a file mounted into a container), copy the contents, mode and
 * owner into the existing file instead (not atomic) and remove the stage file.
 */
export async function atomicReplace(staged: StagedFile, dest: string, opts: ReplaceOptions = {}): Promise<ReplaceMethod> {
  const rename = opts.rename ?? renameNow;
  try {
    await rename(staged.path, dest);
    await syncDirectory(dirname(dest));
    return 'rename';
  } catch (e) {
    const code = errnoCode(e);
    if (code !== 'EBUSY' && code !== 'EXDEV') throw e;
  }
  try {
    await writeInPlace(dest, staged.contents, staged.fingerprint);
  } finally {
    await staged.discard();
  }
  return 'in-place';
}

/** Overwrite an existing file's bytes (same inode), then apply mode and owner. */
export async function writeInPlace(dest: string, contents: Buffer, fp: Omit<Fingerprint, 'sha256'>): Promise<void> {
  const fh = await open(dest, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, fp.mode);
  try {
    await fh.writeFile(contents);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chown(dest, fp.uid, fp.gid);
  await chmod(dest, fp.mode);
}

/** Remove a file if it exists. */
export async function removeFile(path: string): Promise<void> {
  await unlinkQuietly(path);
}
