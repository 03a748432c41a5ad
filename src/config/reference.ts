/**
 * Markdown key reference generated from the schema (docs/config-reference.md embeds it between
 * `<!-- keys:begin -->` and `<!-- keys:end -->`; a test keeps the two in sync).
 */
import type { BackendDefinition } from '../backends/contract.ts';
import type { KeySpec, SectionSchema, ValueKind } from '../schema/types.ts';
import { configSchema } from './schema.ts';

const KIND_TEXT: Record<ValueKind, string> = {
  string: 'string',
  'string[]': 'array of strings',
  boolean: 'boolean',
  duration: 'duration',
  mode: 'mode',
  command: 'command',
  path: 'path',
  id: 'integer',
  user: 'string or integer',
  wait: 'duration or table',
  keys: 'array of key paths',
  key: 'key path',
  'log-level': 'string',
  'log-format': 'string',
  table: 'table',
  tables: 'array of tables',
  fraction: 'fraction',
};

/** Escape `<` (HTML to GitHub) and `*` (emphasis) outside code spans, and `|` (table cells) everywhere. */
function md(s: string): string {
  return s
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replaceAll('<', '\\<').replaceAll('*', '\\*') : part))
    .join('`')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
}

function defaultCell(spec: KeySpec): string {
  if (spec.required) return 'required';
  if (spec.default !== undefined) return `\`${JSON.stringify(spec.default)}\``;
  return spec.defaultText ?? '—';
}

export function sectionMarkdown(section: SectionSchema): string {
  const rows = Object.entries(section.keys).map(([name, spec]) => {
    const names = [name, ...(spec.aliases ?? [])].map((n) => `\`${n}\``).join(' / ');
    return `| ${names} | ${KIND_TEXT[spec.type]} | ${md(defaultCell(spec))} | ${md(spec.description)} |`;
  });
  const unsupported = Object.entries(section.unsupported ?? {}).map(([k, why]) => `- \`${k}\`: rejected: ${md(why)}.`);
  return [
    `### ${md(section.title)}`,
    '',
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    ...(unsupported.length > 0 ? ['', ...unsupported] : []),
  ].join('\n');
}

/** Every section of the schema, in order. */
export function referenceMarkdown(): string {
  return Object.values(configSchema).map(sectionMarkdown).join('\n\n');
}

/** Kind-specific backend options (for the backends' own docs). */
export function backendOptionsMarkdown(defs: readonly BackendDefinition[]): string {
  return defs
    .map((d) => {
      const rows = Object.entries(d.options).map(([k, o]) => `| \`${k}\` | ${o.type} | ${md(o.description)}${o.secret ? ' (secret)' : ''} |`);
      const table = rows.length > 0 ? ['| option | type | description |', '|---|---|---|', ...rows] : ['No options beyond the common keys.'];
      return [`#### \`${d.kind}\``, '', md(d.description), '', ...table].join('\n');
    })
    .join('\n\n');
}
