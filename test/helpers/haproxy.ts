/** `haproxy -c` on a config text, with the real Debian haproxy. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const HAPROXY = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

export function requireHaproxy(): void {
  if (!existsSync('/usr/sbin/haproxy') && !existsSync('/usr/bin/haproxy')) {
    throw new Error('haproxy is not installed: apt-get install -y haproxy (Debian package "haproxy")');
  }
}

/** Validate `config` (plus extra files written beside it); resolves with HAProxy's output, rejects on failure. */
export async function haproxyCheck(dir: string, config: string, extra: Record<string, string> = {}): Promise<string> {
  requireHaproxy();
  const file = join(dir, 'check.cfg');
  await writeFile(file, config);
  for (const [name, text] of Object.entries(extra)) await writeFile(join(dir, name), text);
  return new Promise((resolve, reject) => {
    execFile(HAPROXY, ['-c', '-f', file], { cwd: dir }, (err, stdout, stderr) => {
      if (err) reject(new Error(`haproxy -c failed: ${stderr}${stdout}`));
      else resolve(stdout + stderr);
    });
  });
}
