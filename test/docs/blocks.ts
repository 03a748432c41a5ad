/**
 * Checks for the code blocks of the docs. Each returns the problems it found ([] when the block
 * is good), so a test can run them over the real docs and over deliberately broken fixtures.
 *
 * - ```toml: loaded by the real config loader. A whole config by default; a block marked
 *   `<!-- fragment: top|resource|template|include|confd -->` is placed inside a minimal config
 *   (top: beside one resource; resource: inside a [[resource]]; template: inside a
 *   [[resource.template]]; include: an include_dir file; confd: a conf.d file). Template files the
 *   block names by a relative `src` are created empty. `<!-- env: A=x B=y -->` sets variables.
 *   The load must give no warnings.
 * - ```jinja / njk / nunjucks: compiled by the template engine; ```gotemplate: compiled as a Go
 *   (confd) template.
 * - ```json / yaml: parsed.
 * - shell blocks: must be marked `<!-- run -->` (see shell.ts) or `<!-- norun: reason -->`.
 * - `<!-- output -->`: the block is what the run block before it prints on stdout (JSON blocks are
 *   compared as data, others as text with trailing whitespace ignored).
 * Any block may be excluded with `<!-- norun: reason -->`; the reason is required.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { createTemplateEngine } from '../../src/template/index.ts';
import type { CodeBlock, Marker } from './markdown.ts';

export const SHELL = new Set(['sh', 'bash', 'shell', 'console']);
export const TEMPLATE = new Set(['jinja', 'njk', 'nunjucks', 'jinja2', 'gotemplate']);
const MARKERS = new Set(['run', 'norun', 'fragment', 'env', 'output']);
const FRAGMENTS = ['top', 'resource', 'template', 'include', 'confd'] as const;

export function where(b: CodeBlock): string {
  return `${b.file}:${b.line} (\`\`\`${b.lang})`;
}

export function marker(b: CodeBlock, kind: string): Marker | undefined {
  return b.markers.find((m) => m.kind === kind);
}

/** Markers are known, `norun` has a reason, and every shell block says whether it runs. */
export function checkMarkers(b: CodeBlock): string[] {
  const problems: string[] = [];
  for (const m of b.markers) {
    if (!MARKERS.has(m.kind)) problems.push(`${where(b)}: unknown marker <!-- ${m.kind} -->`);
  }
  const norun = marker(b, 'norun');
  if (norun && norun.arg === '') problems.push(`${where(b)}: <!-- norun --> needs a reason: <!-- norun: why -->`);
  if (SHELL.has(b.lang) && !norun && !marker(b, 'run')) {
    problems.push(`${where(b)}: a shell block must be marked <!-- run --> or <!-- norun: reason -->`);
  }
  const fragment = marker(b, 'fragment');
  if (fragment && !(FRAGMENTS as readonly string[]).includes(fragment.arg || 'top')) {
    problems.push(`${where(b)}: <!-- fragment: ${fragment.arg} --> is not one of ${FRAGMENTS.join(', ')}`);
  }
  return problems;
}

export function envOf(b: CodeBlock): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of b.markers.filter((x) => x.kind === 'env')) {
    for (const pair of m.arg.split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

const MINIMAL_TEMPLATE = '[[resource.template]]\nsrc = "docs-example.njk"\ndst = "out/docs-example"\n';
const MINIMAL_BACKEND = '[resource.backend.memory]\nkeys = ["/"]\n';
const MINIMAL_RESOURCE = `[[resource]]\nname = "docs-example"\n${MINIMAL_TEMPLATE}${MINIMAL_BACKEND}`;

/** The files (relative to a temp dir) that load the block, and the config file to load. */
export function tomlFiles(b: CodeBlock): Record<string, string> {
  const kind = marker(b, 'fragment') ? marker(b, 'fragment')!.arg || 'top' : undefined;
  switch (kind) {
    case undefined:
      return { 'config.toml': b.body };
    case 'top':
      return { 'config.toml': `${b.body}\n${MINIMAL_RESOURCE}` };
    case 'resource': {
      const template = /^\s*\[\[resource\.template\]\]/m.test(b.body) ? '' : MINIMAL_TEMPLATE;
      const backend = /^\s*\[resource\.backend\./m.test(b.body) ? '' : MINIMAL_BACKEND;
      return { 'config.toml': `[[resource]]\nname = "docs-example"\n${b.body}\n${template}${backend}` };
    }
    case 'template':
      return { 'config.toml': `[[resource]]\nname = "docs-example"\n${MINIMAL_TEMPLATE}${b.body}\n${MINIMAL_BACKEND}` };
    case 'include':
      return { 'config.toml': 'include_dir = "inc"\n[default_backends.memory]\nkeys = ["/"]\n', 'inc/docs-example.toml': b.body };
    case 'confd':
      return { 'config.toml': 'confdir = "confd"\n[default_backends.memory]\nkeys = ["/"]\n', 'confd/conf.d/docs-example.toml': b.body };
    default:
      return { 'config.toml': b.body };
  }
}

function expandDefaults(s: string, env: Record<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, def?: string) => env[name] || def || '');
}

/** Relative template `src` paths a TOML file names (to create them empty). */
function templateSources(text: string): string[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch {
    return []; // the loader reports the syntax error
  }
  const out: string[] = [];
  const take = (t: unknown) => {
    if (t && typeof t === 'object' && typeof (t as { src?: unknown }).src === 'string') out.push((t as { src: string }).src);
  };
  const many = (ts: unknown) => (Array.isArray(ts) ? ts.forEach(take) : take(ts));
  for (const r of (Array.isArray(doc.resource) ? doc.resource : []) as Record<string, unknown>[]) many(r.template);
  many(doc.template);
  return out;
}

export async function checkToml(b: CodeBlock, dir: string): Promise<string[]> {
  const env = envOf(b);
  const files = tomlFiles(b);
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    const base = rel.startsWith('confd/') ? join(dir, 'confd/templates') : dirname(path);
    for (const src of templateSources(text).map((s) => expandDefaults(s, env))) {
      if (isAbsolute(src)) continue;
      const file = resolve(base, src);
      if (relative(dir, file).startsWith('..')) continue;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, '');
    }
  }
  const warnings: string[] = [];
  try {
    await loadConfig({ file: join(dir, 'config.toml'), env, onWarning: (w) => warnings.push(w) });
  } catch (e) {
    return [`${where(b)}: does not load: ${(e as Error).message}`];
  }
  return warnings.map((w) => `${where(b)}: loads with a warning: ${w}`);
}

export async function checkTemplate(b: CodeBlock, dir: string): Promise<string[]> {
  const go = b.lang === 'gotemplate';
  const file = join(dir, go ? 'docs-example.tmpl' : 'docs-example.njk');
  await writeFile(file, b.body);
  try {
    createTemplateEngine({ env: {} }).compileFile(file, 'docs-example', go ? 'go' : 'nunjucks');
    return [];
  } catch (e) {
    return [`${where(b)}: does not compile: ${(e as Error).message}`];
  }
}

export function checkData(b: CodeBlock): string[] {
  try {
    if (b.lang === 'json') JSON.parse(b.body);
    else parseYaml(b.body);
    return [];
  } catch (e) {
    return [`${where(b)}: does not parse as ${b.lang}: ${(e as Error).message}`];
  }
}

/** Compare an `<!-- output -->` block with what the run block before it printed. */
export function checkOutput(b: CodeBlock, previous: string | undefined): string[] {
  if (previous === undefined) return [`${where(b)}: <!-- output --> must follow a <!-- run --> block`];
  if (b.lang === 'json') {
    try {
      if (JSON.stringify(JSON.parse(previous)) === JSON.stringify(JSON.parse(b.body))) return [];
    } catch (e) {
      return [`${where(b)}: the output is not JSON: ${(e as Error).message}\n${previous}`];
    }
  } else if (previous.trimEnd() === b.body.trimEnd()) {
    return [];
  }
  return [`${where(b)}: the block before it prints something else:\n${previous}`];
}
