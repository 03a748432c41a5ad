/** The Runtime API operations, the CLI commands behind each, and how to recognise HAProxy 2.6's success replies. */
import { cliArg } from './runtime-socket.ts';
import type { MapEntries, ServerModel } from './model.ts';

export type RuntimeOp =
  | { readonly kind: 'map-add'; readonly map: string; readonly key: string; readonly value: string }
  | { readonly kind: 'map-set'; readonly map: string; readonly key: string; readonly value: string }
  | { readonly kind: 'map-del'; readonly map: string; readonly key: string }
  /** Atomic swap of the whole map: prepare map → add map @v (chunks) → commit map. */
  | { readonly kind: 'map-replace'; readonly map: string; readonly entries: MapEntries }
  | { readonly kind: 'server-add'; readonly backend: string; readonly server: ServerModel }
  /** drain → maint → del server (retried while connections remain; then left pending). */
  | { readonly kind: 'server-del'; readonly backend: string; readonly server: string; readonly previous?: ServerModel; readonly replacing?: boolean }
  | {
      readonly kind: 'server-set';
      readonly backend: string;
      readonly server: string;
      readonly addr?: { readonly host: string; readonly port?: number };
      readonly weight?: number;
      readonly state?: 'ready' | 'maint';
    };

/** Keep `add map @v <map> <<` payloads well under tune.bufsize (16 KiB). */
export const MAP_PAYLOAD_MAX_BYTES = 12_000;

/** Defaults a config-file server gets but a 2.6 dynamic server does not (spec §1.3, probe B6). */
const DYNAMIC_POOL_DEFAULTS = ['pool-purge-delay', '5s', 'pool-max-conn', '-1'];

export const srvRef = (backend: string, server: string): string => cliArg(`${backend}/${server}`);

/** `add server` arguments: address, id, weight and the options, never `enabled` (haproxy#2497). */
export function addServerCommand(backend: string, s: ServerModel): string {
  const words = [s.address];
  if (s.id !== undefined) words.push('id', String(s.id));
  if (s.weight !== undefined) words.push('weight', String(s.weight));
  words.push(...s.options);
  if (!s.options.some((o) => o === 'pool-purge-delay' || o === 'pool-max-conn')) words.push(...DYNAMIC_POOL_DEFAULTS);
  return `add server ${srvRef(backend, s.name)} ${words.map(cliArg).join(' ')}`;
}

/** Commands to enable a freshly added server (checks first, then traffic unless `disabled`). */
export function enableServerCommands(backend: string, s: ServerModel): string[] {
  const ref = srvRef(backend, s.name);
  const out: string[] = [];
  if (s.options.includes('check')) out.push(`enable health ${ref}`);
  if (s.options.includes('agent-check')) out.push(`enable agent ${ref}`);
  if (!s.disabled) out.push(`set server ${ref} state ready`);
  return out;
}

export function mapPayloadChunks(entries: ReadonlyArray<readonly [string, string]>): string[][] {
  const chunks: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const [k, v] of entries) {
    const line = v === '' ? k : `${k} ${v}`;
    const n = Buffer.byteLength(line) + 1;
    if (bytes + n > MAP_PAYLOAD_MAX_BYTES && cur.length > 0) {
      chunks.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(line);
    bytes += n;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/** The commands an op stands for (map-replace shows `@<ver>` as a placeholder). */
export function renderOp(op: RuntimeOp): string[] {
  const m = 'map' in op ? cliArg(op.map) : '';
  switch (op.kind) {
    case 'map-add':
      return [`add map ${m} ${cliArg(op.key)} ${cliArg(op.value)}`];
    case 'map-set':
      return [`set map ${m} ${cliArg(op.key)} ${cliArg(op.value)}`];
    case 'map-del':
      return [`del map ${m} ${cliArg(op.key)}`];
    case 'map-replace':
      return [
        `prepare map ${m}`,
        ...mapPayloadChunks(op.entries).map((c) => `add map @<ver> ${m} << (${c.length} entries)`),
        `commit map @<ver> ${m}`,
      ];
    case 'server-add':
      return [addServerCommand(op.backend, op.server), ...enableServerCommands(op.backend, op.server)];
    case 'server-del': {
      const ref = srvRef(op.backend, op.server);
      return [`set server ${ref} state drain`, `set server ${ref} state maint`, `del server ${ref}`];
    }
    case 'server-set':
      return serverSetCommands(op);
  }
}

export function serverSetCommands(op: Extract<RuntimeOp, { kind: 'server-set' }>): string[] {
  const ref = srvRef(op.backend, op.server);
  const out: string[] = [];
  if (op.addr) out.push(`set server ${ref} addr ${cliArg(op.addr.host)}${op.addr.port !== undefined ? ` port ${op.addr.port}` : ''}`);
  if (op.weight !== undefined) out.push(`set server ${ref} weight ${op.weight}`);
  if (op.state) out.push(`set server ${ref} state ${op.state}`);
  return out;
}

/** Is `reply` HAProxy 2.6's success answer to `command`? (The CLI has no status codes.) */
export function isSuccessReply(command: string, reply: string): boolean {
  const r = reply.trim();
  if (command.startsWith('add server ')) return r === 'New server registered.';
  if (command.startsWith('del server ')) return r === 'Server deleted.';
  if (command.startsWith('prepare map ')) return /^New version created: \d+$/.test(r);
  if (/^set server \S+ addr /.test(command)) return /^(IP changed from|no need to change the addr)/.test(r);
  if (command.startsWith('del map ')) return r === '' || r === 'Key not found.';
  return r === '';
}
