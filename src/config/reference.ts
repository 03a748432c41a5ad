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
  integer: 'integer',
  number: 'number',
  choice: 'string',
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

/** What a spec bounds, for the description cell: range (in the unit written), choices, secrecy. */
function limits(spec: KeySpec): string {
  const unit = spec.type === 'duration' ? ' s' : '';
  const parts: string[] = [];
  if (spec.min !== undefined && spec.max !== undefined) parts.push(`${spec.min}–${spec.max}${unit}`);
  else if (spec.min !== undefined) parts.push(`≥ ${spec.min}${unit}`);
  else if (spec.max !== undefined) parts.push(`≤ ${spec.max}${unit}`);
  if (spec.choices) parts.push(`one of ${spec.choices.map((c) => `\`${c}\``).join(', ')}`);
  if (spec.secret) parts.push('secret: never logged');
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

export function sectionMarkdown(section: SectionSchema): string {
  const rows = Object.entries(section.keys).map(([name, spec]) => {
    const names = [name, ...(spec.aliases ?? [])].map((n) => `\`${n}\``).join(' / ');
    return `| ${names} | ${KIND_TEXT[spec.type]} | ${md(defaultCell(spec))} | ${md(spec.description + limits(spec))} |`;
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

/** Each backend kind's options, from its own schema (docs/backends.md embeds it between `<!-- backends:begin -->` and `<!-- backends:end -->`). */
export function backendReferenceMarkdown(defs: readonly BackendDefinition[]): string {
  return defs
    .map((d) => {
      const [heading, , ...table] = sectionMarkdown(d.options).split('\n');
      const body = Object.keys(d.options.keys).length > 0 ? table.join('\n') : 'No options beyond the common keys.';
      return [heading, '', md(d.description), '', body].join('\n');
    })
    .join('\n\n');
}
