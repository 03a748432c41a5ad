/**
 * Every example in README.md and docs/ is executed: TOML is loaded by the config loader, templates
 * are compiled, JSON/YAML parsed, shell blocks marked `<!-- run -->` run in a temp dir (against a
 * test etcd where marked), and every relative link and #anchor resolves. The last suite feeds the
 * same checks deliberately broken fixtures, so a check that cannot fail is caught here too.
 * Markers are described in blocks.ts and shell.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { freePort, startEtcd } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { backendKinds } from '../../src/backends/registry.ts';
import { ExitCode } from '../../src/errors.ts';
import { checkData, checkMarkers, checkOutput, checkTemplate, checkToml, marker, SHELL, TEMPLATE } from './blocks.ts';
import { checkLinks } from './links.ts';
import { codeBlocks, slug } from './markdown.ts';
import { runShell } from './shell.ts';

const root = join(import.meta.dirname, '..', '..');
const docFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** Check every block of one Markdown text; a test etcd starts on first use and stops with `t`. */
async function checkDoc(t: TestContext, file: string, text: string): Promise<string[]> {
  let etcdAddress: Promise<string> | undefined;
  const etcd = () => (etcdAddress ??= startEtcd(t).then((e) => new URL(e.clientUrl).host));
  const problems: string[] = [];
  let lastStdout: string | undefined;
  for (const b of codeBlocks(file, text)) {
    const markers = checkMarkers(b);
    if (markers.length > 0 || marker(b, 'norun')) problems.push(...markers);
    else if (marker(b, 'output')) problems.push(...checkOutput(b, lastStdout));
    else if (b.lang === 'toml') problems.push(...(await checkToml(b, await tempDir(t, 'keyplate-docs'))));
    else if (TEMPLATE.has(b.lang)) problems.push(...(await checkTemplate(b, await tempDir(t, 'keyplate-docs'))));
    else if (['json', 'yaml', 'yml'].includes(b.lang)) problems.push(...checkData(b));
    else if (SHELL.has(b.lang) && marker(b, 'run')) {
      const r = await runShell(b, { root, dir: await tempDir(t, 'keyplate-docs'), etcd, freePort });
      problems.push(...r.problems);
      lastStdout = r.stdout;
      continue;
    }
    if (!marker(b, 'output')) lastStdout = undefined;
  }
  return problems;
}

describe('docs examples run as written', () => {
  for (const file of docFiles) {
    it(`${file}: every block loads, compiles or runs`, async (t) => {
      assert.deepEqual(await checkDoc(t, file, readFileSync(join(root, file), 'utf8')), []);
    });
  }

  it('every relative link and #anchor in README.md and docs/ resolves', async () => {
    const files = new Map(docFiles.map((f) => [join(root, f), readFileSync(join(root, f), 'utf8')]));
    assert.deepEqual(await checkLinks(root, files), []);
  });

  it('README.md is short and links every docs page', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.ok(readme.split('\n').length < 250, `README.md has ${readme.split('\n').length} lines`);
    for (const f of docFiles.filter((x) => x !== 'README.md')) assert.ok(readme.includes(`](${f})`), `README.md does not link ${f}`);
  });

  it('every environment variable a shipped config reads is documented on its page', () => {
    const pages = [['config.toml', 'docs/rancher-preset.md'], ['examples/etcd-haproxy/config.toml', 'docs/etcd-haproxy.md']];
    for (const [config, page] of pages) {
      const vars = new Set([...readFileSync(join(root, config), 'utf8').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
      assert.ok(vars.size > 5, config);
      const text = readFileSync(join(root, page), 'utf8');
      for (const v of vars) assert.ok(text.includes(`\`${v}\``), `${page} does not document ${v} (read by ${config})`);
    }
  });

  it('README.md and docs/cli.md list every exit code and command; docs/backends.md every backend kind', () => {
    for (const page of ['README.md', 'docs/cli.md']) {
      const text = readFileSync(join(root, page), 'utf8');
      for (const code of Object.values(ExitCode)) assert.match(text, new RegExp(`^\\| ${code} \\|`, 'm'), `${page}: exit code ${code}`);
      for (const cmd of ['run', 'render', 'keys', 'check']) assert.ok(text.includes(`\`keyplate ${cmd}`), `${page}: keyplate ${cmd}`);
    }
    const backends = readFileSync(join(root, 'docs/backends.md'), 'utf8');
    for (const kind of backendKinds()) assert.match(backends, new RegExp(`^\\| \`${kind}\` \\|`, 'm'), kind);
  });

  it('nothing in the repository refers to paths outside it', () => {
    const outside = /\/work\/shared|shared\/specs|\.\.\/shared\//;
    const hits: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (['node_modules', '.git', 'dist'].includes(name)) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (outside.test(readFileSync(path, 'latin1'))) hits.push(relative(root, path));
      }
    };
    walk(root);
    assert.deepEqual(hits, []);
  });
});

const GOOD = `# Fixture

## Load \`a\` config (and more)

<!-- fragment: resource -->
\`\`\`toml
[resource.backend.env]
keys = ["/app"]
\`\`\`

\`\`\`jinja
{% for s in gets("/app/*") %}{{ s.value }}{% endfor %}
\`\`\`

<!-- run -->
\`\`\`sh
keyplate keys --backend file:examples/etcd-haproxy/data.yaml --keys /hosts/www.example.com --json
\`\`\`

<!-- output -->
\`\`\`json
{ "/hosts/www.example.com": "web" }
\`\`\`

<!-- norun: needs a Docker engine -->
\`\`\`sh
docker ps
\`\`\`

See [the heading](#load-a-config-and-more) and [the etcd page](../../docs/etcd.md).
`;

/** One broken thing each, and the problem the checks must report for it. */
const BROKEN: readonly (readonly [string, string, RegExp])[] = [
  ['an unknown TOML key', '```toml\n[[resource]]\nname = "x"\n[[resource.template]]\nsrc = "t.njk"\ndest = "out"\n[resource.backend.env]\nkeys = ["/a"]\n```\n', /does not load: .*unknown key "dest"/],
  ['a TOML syntax error', '<!-- fragment -->\n```toml\n[http\nlisten = "9100"\n```\n', /does not load/],
  ['a fragment with a bad value', '<!-- fragment: template -->\n```toml\nmode = "644"\n```\n', /does not load: .*mode/],
  ['a config that warns', '<!-- fragment: template -->\n```toml\ncheck_cmd = "true"\n```\n', /loads with a warning/],
  ['a template syntax error', '```jinja\n{% for x in y %}\n{{ x }\n```\n', /does not compile/],
  ['bad JSON', '```json\n{"a": 1,}\n```\n', /does not parse as json/],
  ['a failing run block', '<!-- run -->\n```sh\nkeyplate check -c examples/nothing-here.toml\n```\n', /exited with 3/],
  ['a shell block without a marker', '```sh\nls\n```\n', /must be marked <!-- run -->/],
  ['norun without a reason', '<!-- norun -->\n```sh\nls\n```\n', /needs a reason/],
  ['an unknown marker', '<!-- fragmnet -->\n```toml\nlog_level = "info"\n```\n', /unknown marker/],
  ['a daemon that never says the word', '<!-- run: until ready -->\n```sh\necho starting\n```\n', /before printing "ready"/],
  ['output that differs', '<!-- run -->\n```sh\necho \'{"a": 1}\'\n```\n\n<!-- output -->\n```json\n{"a": 2}\n```\n', /prints something else/],
  ['output without a run block', '<!-- output -->\n```\nhello\n```\n', /must follow a <!-- run --> block/],
];

describe('the docs checks fail on broken blocks and links', () => {
  const file = join(root, 'test/docs/fixture.md');

  it('a good fixture passes', async (t) => {
    assert.deepEqual(await checkDoc(t, 'fixture.md', GOOD), []);
    assert.deepEqual(await checkLinks(root, new Map([[file, GOOD]])), []);
  });

  for (const [name, md, want] of BROKEN) {
    it(`reports ${name}`, async (t) => {
      const problems = await checkDoc(t, 'fixture.md', md);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], want);
    });
  }

  it('reports a missing file, a missing anchor, an absolute link and a link out of the repository', async () => {
    const md = '# T\n\n[a](missing.md) [b](#nope) [c](../../docs/etcd.md#no-such-heading) [d](/etc/passwd) [e](../../../x.md)\n\n```md\n[not a link](nowhere.md)\n```\n';
    const problems = await checkLinks(root, new Map([[file, md]]));
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems[0], /missing\.md does not exist/);
    assert.match(problems[1], /no heading with the anchor #nope/);
    assert.match(problems[2], /#no-such-heading in docs\/etcd\.md/);
    assert.match(problems[3], /use a relative link/);
    assert.match(problems[4], /outside the repository/);
  });

  it('slugs headings the way GitHub does', () => {
    assert.equal(slug('Running HAProxy (live updates without reloads)'), 'running-haproxy-live-updates-without-reloads');
    assert.equal(slug('`[haproxy]` (supervised HAProxy)'), 'haproxy-supervised-haproxy');
    assert.equal(slug('[resource.backend.\\<kind>] and more'), 'resourcebackendkind-and-more');
    assert.equal(slug('pongo2 (remco) idioms'), 'pongo2-remco-idioms');
    assert.equal(slug('Exit codes & signals'), 'exit-codes--signals');
  });
});
