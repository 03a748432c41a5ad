/** Resolve `owner = "haproxy"` to a uid through /etc/passwd (injectable for tests). */
import { readFile } from 'node:fs/promises';

/** Returns the uid of a user name, or undefined when there is no such user. */
export type LookupUser = (name: string) => Promise<number | undefined>;

/** Parse passwd(5) text: `name:password:uid:gid:gecos:home:shell`. */
export function uidFromPasswd(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length >= 3 && fields[0] === name && /^\d+$/.test(fields[2])) return Number(fields[2]);
  }
  return undefined;
}

export function passwdLookup(passwdFile = '/etc/passwd'): LookupUser {
  return async (name) => uidFromPasswd(await readFile(passwdFile, 'utf8'), name);
}
