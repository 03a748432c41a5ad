/**
 * remco's data filters: parseInt/parseFloat, parseYAML/parseJSON/parseYAMLArray (one YAML
 * decoder, since JSON is YAML), toJSON/toPrettyJSON/toYAML. Output mirrors Go's encoders:
 * map keys sorted, `<>&` escaped in JSON, block sequences not indented in YAML.
 */
import { createRequire } from 'node:module';
import type YamlModule from 'yaml';
import { str, TemplateFunctionError } from './strings.ts';

const require = createRequire(import.meta.url);
/** The YAML library, loaded on the first YAML filter a template calls (it costs start-up time otherwise). */
const yaml = (): typeof YamlModule => require('yaml') as typeof YamlModule;

/** Base-10 integer; empty string → 0; non-strings pass through (remco). */
export function parseIntFilter(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v === '') return 0;
  if (!/^[+-]?\d+$/.test(v)) throw new TemplateFunctionError('parseInt', `invalid syntax: ${JSON.stringify(v)}`);
  return Number(v);
}

/** Float; empty string → 0; non-strings pass through (remco). */
export function parseFloatFilter(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v === '') return 0;
  const t = v.trim();
  if (t !== v || !/^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[Ii]nf(?:inity)?|NaN)$/.test(v)) {
    throw new TemplateFunctionError('parseFloat', `invalid syntax: ${JSON.stringify(v)}`);
  }
  if (/^[+-]?[Ii]nf/.test(v)) return v.startsWith('-') ? -Infinity : Infinity;
  return Number(v);
}

/** Decode YAML (or JSON); empty input → null. */
export function parseYAML(v: unknown): unknown {
  try {
    return yaml().parse(str(v)) ?? null;
  } catch (e) {
    throw new TemplateFunctionError('parseYAML', (e as Error).message, { cause: e });
  }
}

/** Deprecated remco alias: decode a YAML/JSON list. */
export function parseYAMLArray(v: unknown): unknown[] {
  const out = parseYAML(v);
  if (out === null) return [];
  if (!Array.isArray(out)) throw new TemplateFunctionError('parseYAMLArray', 'not a list');
  return out;
}

/** Deep copy with object keys sorted (Go marshals maps in key order); honours toJSON(). */
function canonical(v: unknown, depth = 0): unknown {
  if (depth > 200) throw new TemplateFunctionError('toJSON', 'value nested too deeply');
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return canonical((v as { toJSON: () => unknown }).toJSON(), depth + 1);
  }
  if (Array.isArray(v)) return v.map((x) => canonical(x, depth + 1));
  if (v instanceof Set) return [...v].map((x) => canonical(x, depth + 1));
  if (v instanceof Map) v = Object.fromEntries(v);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] === undefined || typeof o[k] === 'function') continue;
      Object.defineProperty(out, k, { value: canonical(o[k], depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v === undefined ? null : v;
}

function goJson(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function toJSON(v: unknown): string {
  return goJson(JSON.stringify(canonical(v)));
}

/** JSON indented with 4 spaces (remco `json.MarshalIndent(v, "", "    ")`). */
export function toPrettyJSON(v: unknown): string {
  return goJson(JSON.stringify(canonical(v), null, 4));
}

/** YAML; the optional argument is `N` or `"indent=N"` (remco's spelling). */
export function toYAML(v: unknown, opt?: unknown): string {
  let indent = 2;
  if (opt !== undefined && opt !== null && opt !== '') {
    const m = /^(?:indent=)?(\d+)$/.exec(str(opt).trim());
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 16) throw new TemplateFunctionError('toYAML', `bad indent option ${JSON.stringify(str(opt))}`);
    indent = Number(m[1]);
  }
  return yaml().stringify(canonical(v), { indent, indentSeq: false, lineWidth: 0 });
}
