/**
 * The template engine: one private Nunjucks Environment per engine (never nunjucks.configure),
 * remco's settings (autoescape off, trimBlocks, lstripBlocks), templates read fresh on every
 * compile/render (the compiled form is reused only while the text is unchanged), pongo2 idioms
 * rewritten on load, every failure a TemplateError(file:line:col).
 *
 * Rendering is synchronous Nunjucks; DNS is asynchronous. So a render runs in passes: a pass
 * records the lookups its cache could not answer, they are resolved, and the template renders
 * again with the answers, until a pass asks for nothing new.
 */
import { readFileSync } from 'node:fs';
import type nunjucks from 'nunjucks';
import environmentModule from 'nunjucks/src/environment.js';
import { TemplateError } from '../errors.ts';
import type { KeyTree } from '../tree/key-tree.ts';
import { templateProblems } from './analyze.ts';
import { SourceCache } from './cache.ts';
import { compileSource, TRUTHY, truthy } from './compile.ts';
import type { CompiledStore } from './compiled-store.ts';
import { clockFunctions, dnsFunctions, treeFunctions } from './context.ts';
import { DnsCache, systemResolver, type DnsResolver } from './dns.ts';
import { toTemplateError } from './error-map.ts';
import { contextFilters, staticFilters, staticFunctions, type TemplateFn } from './functions.ts';
import { FreshFileLoader } from './loader.ts';
import { pySlice } from './pongo2-filters.ts';
import { pongo2ToNunjucks } from './pongo2.ts';
import { makeOutputCheck, multilineFilter, OUTPUT_CHECK } from './multiline.ts';
import { haproxyValueFunctions } from './haproxy-values.ts';
import { SkipLedger, type SkipRecorder } from './skips.ts';
import { createGoEngine } from './go/engine.ts';

// nunjucks' Environment and Template without the rest of its index (precompiler, Jinja compat, ...)
const { Environment, Template } = environmentModule as { Environment: typeof nunjucks.Environment; Template: typeof nunjucks.Template };

export interface TemplateEngineOptions {
  /** Injected environment: `getenv` reads only this map. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Clock for datetime/unixTS/dateRFC3339 (read once per render). */
  readonly now?: () => Date;
  /** DNS for lookupIP/lookupSRV (default: node:dns/promises). */
  readonly resolver?: DnsResolver;
  /** Extra functions (presets add theirs). They cannot replace the per-render tree functions. */
  readonly globals?: Readonly<Record<string, unknown>>;
  /** Extra per-render values built from the render's tree (presets' functions over the data). */
  readonly treeGlobals?: Readonly<Record<string, (tree: KeyTree, resource: string, skip: SkipRecorder) => unknown>>;
  /** Where `skip()` and the validating functions record refused values (default: a ledger of the engine's own). */
  readonly skips?: SkipLedger;
  readonly fileExists?: (path: string) => boolean;
  /** Budget for one round of DNS lookups (default 5000 ms); a timed-out lookup yields []. */
  readonly dnsTimeoutMs?: number;
  /** Render passes allowed for DNS discovery before giving up (default 4). */
  readonly maxPasses?: number;
  /** Generated template code kept across processes (compiled-store.ts); default none. */
  readonly compiled?: CompiledStore;
}

export interface RenderInput {
  readonly resource: string;
  readonly tree: KeyTree;
  readonly vars?: Readonly<Record<string, unknown>>;
  /** What `get`/`getv` do with a missing key (no default): fail the render (default) or render "". */
  readonly missingKeys?: 'error' | 'empty';
  /** Let `{{ }}` write backend values holding CR/LF/NUL (`allow_multiline_values`); default false. */
  readonly allowMultiline?: boolean;
  readonly signal?: AbortSignal;
  /** Which language the template is written in (default nunjucks; `go`: Go text/template, confd). */
  readonly engine?: TemplateLanguage;
}

export type TemplateLanguage = 'nunjucks' | 'go';

export interface TemplateEngine {
  /** The values templates refused in their latest render, per resource. */
  readonly skips: SkipLedger;
  /** Read the file fresh, compile, throw TemplateError(file,line,col) on syntax errors. */
  compileFile(path: string, resource: string, engine?: TemplateLanguage): void;
  /** Every problem `check` reports without rendering (syntax, unknown filters, missing includes), in the template and what it includes. */
  checkFile(path: string, resource: string, engine?: TemplateLanguage): TemplateError[];
  renderFile(path: string, input: RenderInput): Promise<string>;
  renderString(source: string, name: string, input: RenderInput): Promise<string>;
}

function buildEnvironment(opts: TemplateEngineOptions): nunjucks.Environment {
  let env: nunjucks.Environment | undefined;
  const loader = new FreshFileLoader((src, path) => compileSource(src, path, env!, opts.compiled));
  env = new Environment(loader as unknown as nunjucks.ILoader, {
    autoescape: false,
    trimBlocks: true,
    lstripBlocks: true,
    throwOnUndefined: false,
    dev: true, // keep the original error object (lineno/colno/cause) instead of a flattened copy
  });
  const fns = staticFunctions({ env: opts.env, fileExists: opts.fileExists });
  for (const [name, fn] of Object.entries(fns)) env.addGlobal(name, fn);
  env.addGlobal(TRUTHY, truthy);
  for (const [name, value] of Object.entries(opts.globals ?? {})) env.addGlobal(name, value);
  const nativeSlice = env.getFilter('slice') as TemplateFn;
  const filters: Record<string, TemplateFn> = {
    ...staticFilters(fns),
    ...contextFilters(),
    multiline: multilineFilter,
    slice: (v: unknown, spec: unknown, ...rest: unknown[]) =>
      typeof spec === 'string' && spec.includes(':') ? pySlice(v, spec) : nativeSlice(v, spec, ...rest),
  };
  for (const [name, fn] of Object.entries(filters)) env.addFilter(name, fn);
  return env;
}

export function createTemplateEngine(opts: TemplateEngineOptions): TemplateEngine {
  const env = buildEnvironment(opts);
  const goEngine = createGoEngine(staticFunctions({ env: opts.env, fileExists: opts.fileExists }));
  const resolver = opts.resolver ?? systemResolver();
  const now = opts.now ?? (() => new Date());
  const timeoutMs = opts.dnsTimeoutMs ?? 5000;
  const maxPasses = opts.maxPasses ?? 4;
  const skips = opts.skips ?? new SkipLedger();

  // Compiled templates by name, reused while the text read for a render is unchanged.
  const compiled = new SourceCache<nunjucks.Template>();
  const compile = (source: string, file: string, resource: string): nunjucks.Template => {
    try {
      return compiled.get(file, source, () => {
        const code = compileSource(pongo2ToNunjucks(source), file, env, opts.compiled);
        return new Template(code as unknown as string, env, file, true);
      });
    } catch (e) {
      throw toTemplateError(e, resource, file);
    }
  };

  const renderGo = async (source: string, file: string, input: RenderInput): Promise<string> => {
    const dns = new DnsCache();
    const at = now();
    const check = input.allowMultiline !== true ? makeOutputCheck(input.tree) : undefined;
    // The dot is the resource's vars; without any it is nil, as in confd (`{{.}}` is `<no value>`).
    const vars = input.vars?.vars;
    const dot = vars !== null && typeof vars === 'object' && Object.keys(vars).length > 0 ? vars : undefined;
    for (let pass = 1; ; pass++) {
      input.signal?.throwIfAborted();
      const out = goEngine.render(source, file, { resource: input.resource, tree: input.tree, dot, missingKeys: input.missingKeys, dns, now: at, check });
      if (dns.pendingCount === 0) return out;
      if (pass >= maxPasses) {
        throw new TemplateError(input.resource, { template: file }, `DNS lookups still unresolved after ${maxPasses} render passes`);
      }
      await dns.resolvePending(resolver, timeoutMs, input.signal);
    }
  };

  const render = async (source: string, file: string, input: RenderInput): Promise<string> => {
    if (input.engine === 'go') return renderGo(source, file, input);
    const tmpl = compile(source, file, input.resource);
    const dns = new DnsCache();
    const base: Record<string, unknown> = {
      ...input.vars,
      ...clockFunctions(now()),
      ...treeFunctions(input.tree, input.missingKeys),
      ...dnsFunctions(dns),
    };
    if (input.allowMultiline !== true) base[OUTPUT_CHECK] = makeOutputCheck(input.tree);
    const skip = skips.begin(input.resource, input.tree);
    Object.assign(base, haproxyValueFunctions(skip));
    for (const [name, make] of Object.entries(opts.treeGlobals ?? {})) base[name] = make(input.tree, input.resource, skip);
    for (let pass = 1; ; pass++) {
      input.signal?.throwIfAborted();
      let out: string;
      try {
        out = tmpl.render({ ...base });
      } catch (e) {
        throw toTemplateError(e, input.resource, file);
      }
      if (dns.pendingCount === 0) return out;
      if (pass >= maxPasses) {
        throw new TemplateError(input.resource, { template: file }, `DNS lookups still unresolved after ${maxPasses} render passes`);
      }
      await dns.resolvePending(resolver, timeoutMs, input.signal);
    }
  };

  return {
    skips,
    compileFile(path, resource, engine) {
      if (engine === 'go') goEngine.compile(readSource(path, resource), path, resource);
      else compile(readSource(path, resource), path, resource);
    },
    checkFile(path, resource, engine) {
      if (engine !== 'go') return templateProblems(path, resource, env);
      try {
        goEngine.compile(readSource(path, resource), path, resource);
        return [];
      } catch (e) {
        if (e instanceof TemplateError) return [e];
        throw e;
      }
    },
    async renderFile(path, input) {
      // read fresh on every render (a live edit goes live), synchronously like includes: a few µs
      // against ~0.7 ms for fs.promises.readFile's thread-pool round trips
      return render(readSource(path, input.resource), path, input);
    },
    renderString(source, name, input) {
      return render(source, name, input);
    },
  };
}

function readSource(path: string, resource: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new TemplateError(resource, { template: path }, `cannot read template: ${(e as Error).message}`, { cause: e });
  }
}
