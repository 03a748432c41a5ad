import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCommandRunner, describeOutcome, outputTail, succeeded } from '../../src/exec/run.ts';
import { captureLogger, silentLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { processGone } from '../pipeline/fixtures.ts';

const run = createCommandRunner({ logger: silentLogger(), killGraceMs: 500 });

test('a successful command returns its output and exit code 0', async () => {
  const r = await run('echo out; echo err >&2', { vars: {}, timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.timedOut, false);
  assert.equal(r.signal, null);
  assert.ok(succeeded(r));
});

test('a non-zero exit is a result, not a throw', async () => {
  const r = await run(['false'], { vars: {}, timeoutMs: 10_000 });
  assert.equal(r.exitCode, 1);
  assert.equal(succeeded(r), false);
  assert.equal(describeOutcome(r), 'exited with code 1');
});

test('a missing executable is a result with exitCode null', async () => {
  const r = await run(['/nonexistent/keyplate-no-such-binary'], { vars: {}, timeoutMs: 10_000 });
  assert.equal(r.exitCode, null);
  assert.equal(succeeded(r), false);
  assert.match(r.stderr, /ENOENT/);
  assert.equal(describeOutcome(r), 'could not be started');
});

test('an array runs without a shell: spaces and ; stay inside one argument', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'args');
  const tricky = 'a b; touch pwned';
  const r = await run(['sh', '-c', 'printf "%s\\n" "$#" "$1" > "$2"', 'argv0', tricky, out], { vars: {}, timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0);
  assert.equal(await readFile(out, 'utf8'), `2\n${tricky}\n`);
  const r2 = await run(['echo', tricky, '{{ src }}'], { vars: { src: "x y'z" }, timeoutMs: 10_000 });
  assert.equal(r2.stdout, `${tricky} x y'z\n`);
  assert.equal(r2.command, `echo 'a b; touch pwned' 'x y'\\''z'`);
});

test('shell placeholders reach the command as one word however they are quoted', async () => {
  const nasty = `a b'c"d$HOME\`id\`;e\\f`;
  const r = await run(`printf '%s\\n' {{ src }} '{{.src}}' "{{ .src }}" {{dest}}`, {
    vars: { src: nasty, dst: 'the dst' },
    timeoutMs: 10_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n'), [nasty, nasty, nasty, 'the dst', '']);
  const sub = await run(`printf '%s\\n' "$(printf '%s' {{ src }})" "$( (printf '%s' "{{ src }}") )" \`printf '%s' {{ src }}\``, {
    vars: { src: "it's a b" },
    timeoutMs: 10_000,
  });
  assert.equal(sub.exitCode, 0, sub.stderr);
  // The unquoted backtick result is word-split by the shell, as it would be for any value.
  assert.deepEqual(sub.stdout.split('\n'), ["it's a b", "it's a b", "it's", 'a', 'b', '']);
});

test('a hung command is killed at its timeout with its whole process group', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, 'pid');
  // The grandchild ignores SIGTERM, so only the SIGKILL to the group can stop it.
  const script = `trap '' TERM; sleep 100 & echo $! > ${pidFile}; wait`;
  const r = await run(script, { vars: {}, timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, null);
  assert.equal(succeeded(r), false);
  assert.match(describeOutcome(r, 300), /timed out after 300 ms/);
  const pid = Number(await readFile(pidFile, 'utf8'));
  assert.ok(pid > 0);
  await waitFor(() => processGone(pid), { timeoutMs: 10_000, message: `sleep ${pid} to be gone` });
});

test('sh -c sleep 100 leaves nothing behind after a timeout', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, 'pid');
  const r = await run(['sh', '-c', `echo $$ > ${pidFile}; sleep 100; true`], { vars: {}, timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  const shPid = Number(await readFile(pidFile, 'utf8'));
  await waitFor(() => processGone(shPid), { timeoutMs: 10_000, message: 'sh to be gone' });
  // The sleep is the only other member of the group: the group itself must be empty.
  await waitFor(() => {
    try {
      process.kill(-shPid, 0);
      return false;
    } catch {
      return true;
    }
  }, { timeoutMs: 10_000, message: 'process group to be empty' });
});

test('aborting kills the command like a timeout (timedOut stays false)', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, 'pid');
  const ac = new AbortController();
  const pending = run(`sleep 100 & echo $! > ${pidFile}; wait`, { vars: {}, timeoutMs: 60_000, signal: ac.signal });
  const pid = await waitFor(async () => Number(await readFile(pidFile, 'utf8').catch(() => '0')), { timeoutMs: 10_000 });
  ac.abort();
  const r = await pending;
  assert.equal(r.timedOut, false);
  assert.equal(succeeded(r), false);
  assert.ok(r.durationMs < 30_000);
  await waitFor(() => processGone(pid), { timeoutMs: 10_000, message: 'aborted sleep to be gone' });
});

test('output is logged: debug on success, error on failure', async () => {
  const cap = captureLogger('debug');
  const logged = createCommandRunner({ logger: cap.logger });
  await logged('echo fine', { vars: {}, timeoutMs: 10_000 });
  await logged('echo broken >&2; exit 4', { vars: {}, timeoutMs: 10_000 });
  const ok = cap.lines.find((l) => l.command === 'echo fine');
  const bad = cap.lines.find((l) => l.command === 'echo broken >&2; exit 4');
  assert.equal(ok?.level, 20);
  assert.equal(ok?.stdout, 'fine\n');
  assert.equal(bad?.level, 50);
  assert.equal(bad?.stderr, 'broken\n');
  assert.equal(bad?.msg, 'command exited with code 4');
});

test('an injected env replaces the inherited one', async () => {
  const envRun = createCommandRunner({ logger: silentLogger(), env: { PATH: '/usr/bin:/bin', KP_TEST: 'yes' } });
  const r = await envRun('echo "$KP_TEST"', { vars: {}, timeoutMs: 10_000 });
  assert.equal(r.stdout, 'yes\n');
});

test('outputTail keeps the end of stderr then stdout', () => {
  const r = { command: 'x', exitCode: 1, signal: null, timedOut: false, stdout: 'out', stderr: 'e'.repeat(50), durationMs: 1 };
  assert.equal(outputTail(r, 10), `…${'e'.repeat(6)}\nout`);
});
