/**
 * Go (confd) templates through the commands: `check` parses them (a syntax error names
 * file:line:col), `render` writes what the Go engine renders, in the remco layout with
 * `engine = "go"` and in a confd `confdir` layout.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { writeTree } from '../config/fixture.ts';

const DATA = 'services:\n  web:\n    a: 10.0.0.1:80\n    b: 10.0.0.2:80\n';
const TEMPLATE = '{{ range $id := ls "/services/web" }}server {{ $id }} {{ getv (printf "/services/web/%s" $id) }}\n{{ end }}';

const remco = (src: string) =>
  `[[resource]]\nname = "r"\n[[resource.template]]\nsrc = "${src}"\ndst = "out.conf"\nengine = "go"\n[resource.backend.file]\nfilepath = "data.yaml"\nkeys = ["/services"]\n`;

describe('Go templates in check and render', () => {
  it('render writes the Go engine\'s output (engine = "go")', async (t) => {
    const dir = await writeTree(t, { 'config.toml': remco('t.tmpl'), 't.tmpl': TEMPLATE, 'data.yaml': DATA });
    const res = await runCli(['render', '-c', join(dir, 'config.toml')]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n');
  });

  it('render TEMPLATE --engine go renders a confd template ad hoc', async (t) => {
    const dir = await writeTree(t, { 't.tmpl': TEMPLATE, 'data.yaml': DATA });
    const res = await runCli(['render', join(dir, 't.tmpl'), '--engine', 'go', '--backend', `file:${join(dir, 'data.yaml')}`]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n');
  });

  it('check reports a Go syntax error with file:line:col', async (t) => {
    const dir = await writeTree(t, { 'config.toml': remco('t.tmpl'), 't.tmpl': 'ok\n{{ range $x := ls "/a" }}\n', 'data.yaml': DATA });
    const res = await runCli(['check', '-c', join(dir, 'config.toml')]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /t\.tmpl:3:1: unexpected EOF/);
  });

  it('renders a confd confdir layout with Go templates', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': 'confdir = "confd"\n[default_backends.file]\nfilepath = "data.yaml"\n',
      'data.yaml': DATA,
      'confd/conf.d/web.toml': '[template]\nsrc = "web.tmpl"\ndest = "web.conf"\nkeys = ["/services"]\n',
      'confd/templates/web.tmpl': TEMPLATE,
    });
    const res = await runCli(['render', '-c', join(dir, 'config.toml')]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n');
  });
});
