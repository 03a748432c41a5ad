import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mentionsPlaceholder, prepareCommand, shellQuote, substituteArg, substituteShell } from '../../src/exec/command.ts';

const vars = { src: '/etc/.haproxy.cfg.keyplate-1', dst: '/etc/haproxy.cfg', name: 'haproxy' };

test('every confd/remco placeholder spelling is substituted', () => {
  const spellings = ['{{ src }}', '{{src}}', '{{.src}}', '{{ .src }}'];
  for (const s of spellings) assert.equal(substituteShell(`check ${s}`, vars), `check ${vars.src}`, s);
  for (const s of ['{{.dst}}', '{{ dst }}', '{{.dest}}', '{{ dest }}', '{{dest}}']) {
    assert.equal(substituteShell(`reload ${s}`, vars), `reload ${vars.dst}`, s);
  }
  assert.equal(substituteShell('echo {{ name }}', vars), 'echo haproxy');
});

test('dest works when only dst is given and dst when only dest is given', () => {
  assert.equal(substituteArg('{{.dest}}', { dst: '/x' }), '/x');
  assert.equal(substituteArg('{{ dst }}', { dest: '/y' }), '/y');
});

test('unknown placeholders are left alone (docker --format, Go templates)', () => {
  const cmd = `docker ps --format '{{.Names}}' && echo {{ backup }}`;
  assert.equal(substituteShell(cmd, vars), cmd);
});

test('a bare placeholder becomes one shell-quoted word', () => {
  assert.equal(substituteShell('cat {{ src }}', { src: "/a dir/it's" }), `cat '/a dir/it'\\''s'`);
  assert.equal(substituteShell('cat {{ src }}', { src: '' }), "cat ''");
  assert.equal(substituteShell('cat {{ src }}', { src: '$(reboot)' }), "cat '$(reboot)'");
});

test('a placeholder already inside quotes is escaped for those quotes', () => {
  assert.equal(substituteShell("cat '{{ src }}'", { src: "it's" }), `cat 'it'\\''s'`);
  assert.equal(substituteShell('cat "{{ src }}"', { src: 'a"$b`c\\' }), 'cat "a\\"\\$b\\`c\\\\"');
  // A quote char escaped with a backslash does not open a quoted region.
  assert.equal(substituteShell("echo \\' {{ src }}", { src: 'a b' }), "echo \\' 'a b'");
  // Inside double quotes a single quote is literal and does not change the state.
  assert.equal(substituteShell(`echo "it's {{ src }}"`, { src: '$x' }), `echo "it's \\$x"`);
});

test('command substitution opens a fresh quoting context', () => {
  const v = { src: "/a b/it's" };
  assert.equal(substituteShell('echo "$(cat {{ src }})"', v), `echo "$(cat '/a b/it'\\''s')"`);
  assert.equal(substituteShell('echo "`cat {{ src }}`"', v), `echo "\`cat '/a b/it'\\''s'\`"`);
  assert.equal(substituteShell('echo $( (cd /; cat {{ src }}) ) "{{ src }}"', v), `echo $( (cd /; cat '/a b/it'\\''s') ) "/a b/it's"`);
});

test('shellQuote leaves safe words bare and quotes everything else', () => {
  assert.equal(shellQuote('/etc/haproxy/haproxy.cfg'), '/etc/haproxy/haproxy.cfg');
  assert.equal(shellQuote('a;b'), "'a;b'");
  assert.equal(shellQuote('*'), "'*'");
});

test('a string runs through /bin/sh -c, an array without a shell', () => {
  const sh = prepareCommand('haproxy -c -f {{ src }}', { src: '/a b' });
  assert.equal(sh.file, '/bin/sh');
  assert.deepEqual(sh.args, ['-c', "haproxy -c -f '/a b'"]);
  const argv = prepareCommand(['haproxy', '-c', '-f', '{{.src}}', 'x; rm -rf /'], { src: '/a b' });
  assert.equal(argv.file, 'haproxy');
  assert.deepEqual(argv.args, ['-c', '-f', '/a b', 'x; rm -rf /']);
  assert.equal(argv.display, "haproxy -c -f '/a b' 'x; rm -rf /'");
  assert.throws(() => prepareCommand([], {}), /at least one element/);
});

test('mentionsPlaceholder finds any spelling of a name', () => {
  assert.equal(mentionsPlaceholder('nginx -t -c {{.src}}', 'src'), true);
  assert.equal(mentionsPlaceholder(['nginx', '-t', '-c', '{{ src }}'], 'src'), true);
  assert.equal(mentionsPlaceholder('nginx -t -c /etc/nginx/nginx.conf', 'src'), false);
});
