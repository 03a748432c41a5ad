/**
 * Executes a runtime plan over the admin CLI and reads the result back. A failed command or a
 * read-back mismatch is reported (never thrown): the caller falls back to a reload, which
 * converges because the files were written first.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { cliArg } from './runtime-socket.ts';
import { ADMIN_FORCED_MAINT, parseServersState, parseShowMap } from './runtime-answers.ts';
import type { HaproxyModel, MapEntries, ServerModel } from './model.ts';
import type { RuntimeOp } from './runtime-commands.ts';
import { addServerCommand, enableServerCommands, isSuccessReply, mapPayloadChunks, renderOp, serverSetCommands, srvRef } from './runtime-commands.ts';
import { systemClock, type Clock } from '../schedule/schedule.ts';

/** Sends one CLI command to the running worker and returns the raw reply. */
export type CliClient = (command: string, opts?: { readonly signal?: AbortSignal }) => Promise<string>;

/** Removed servers still in maintenance because connections (often idle pooled ones, purged every
 *  `pool-purge-delay`) were attached: `backend/server` → the server as it was configured. Owned by
 *  the caller, shared across applies; retried with retryPendingDeletes(), cleared by a reload. */
export type PendingDeletes = Map<string, ServerModel | undefined>;

export interface RuntimeApplyOptions {
  readonly client: CliClient;
  /** Time source for durations and the `del server` deadline (default: the system clock). */
  readonly clock?: Clock;
  /** How long `del server` is retried before the server is left pending (in maintenance). Default 2000 ms. */
  readonly removeTimeoutMs?: number;
  readonly pendingDeletes?: PendingDeletes;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

export interface RuntimeApplyResult {
  readonly ok: boolean;
  /** Commands sent (including retries and read-backs are not counted). */
  readonly commandsSent: number;
  /** First failure: the command and HAProxy's reply, or a read-back mismatch. */
  readonly error?: string;
  /** Non-fatal: e.g. a removed server that still had connections and was left in maintenance. */
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

class CommandFailed extends Error {}

interface Ctx {
  readonly opts: RuntimeApplyOptions;
  sent: number;
  readonly warnings: string[];
  readonly pending: PendingDeletes;
}

async function send(ctx: Ctx, command: string): Promise<string> {
  ctx.sent++;
  const reply = await ctx.opts.client(command, { signal: ctx.opts.signal });
  if (!isSuccessReply(command, reply)) throw new CommandFailed(`"${command.split('\n')[0]}" → ${JSON.stringify(reply.trim())}`);
  ctx.opts.logger?.debug({ command: command.split('\n')[0] }, 'haproxy runtime command ok');
  return reply;
}

/** Run the ops in order; stop at the first failure. Does not read back (see verifyRuntime). */
export async function applyRuntime(ops: readonly RuntimeOp[], opts: RuntimeApplyOptions): Promise<RuntimeApplyResult> {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const ctx: Ctx = { opts, sent: 0, warnings: [], pending: opts.pendingDeletes ?? new Map() };
  const done = (error?: string): RuntimeApplyResult => ({
    ok: error === undefined,
    commandsSent: ctx.sent,
    error,
    warnings: ctx.warnings,
    durationMs: clock.now() - started,
  });
  try {
    for (const op of ops) await runOp(ctx, op);
    return done();
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    return done(e instanceof Error ? e.message : String(e));
  }
}

async function runOp(ctx: Ctx, op: RuntimeOp): Promise<void> {
  switch (op.kind) {
    case 'map-add':
    case 'map-set':
    case 'map-del':
      for (const c of renderOp(op)) await send(ctx, c);
      return;
    case 'map-replace':
      return replaceMap(ctx, op.map, op.entries);
    case 'server-add':
      if (await reusePending(ctx, op.backend, op.server)) return;
      await send(ctx, addServerCommand(op.backend, op.server));
      for (const c of enableServerCommands(op.backend, op.server)) await send(ctx, c);
      return;
    case 'server-set':
      for (const c of serverSetCommands(op)) await send(ctx, c);
      return;
    case 'server-del':
      return deleteServer(ctx, op);
  }
}

async function replaceMap(ctx: Ctx, map: string, entries: MapEntries): Promise<void> {
  const m = cliArg(map);
  const reply = await send(ctx, `prepare map ${m}`);
  const ver = /(\d+)/.exec(reply)?.[1];
  for (const chunk of mapPayloadChunks(entries)) await send(ctx, `add map @${ver} ${m} <<\n${chunk.join('\n')}\n\n`);
  await send(ctx, `commit map @${ver} ${m}`);
}

/** drain → maint → del server, retried while connections are attached. A removed server that
 *  still has connections after removeTimeoutMs is left in maintenance (out of rotation) and
 *  recorded as pending; a server being re-created must really be gone, else the op fails. */
async function deleteServer(ctx: Ctx, op: Extract<RuntimeOp, { kind: 'server-del' }>): Promise<void> {
  const ref = srvRef(op.backend, op.server);
  ctx.sent++;
  const first = (await ctx.opts.client(`set server ${ref} state drain`, { signal: ctx.opts.signal })).trim();
  if (first === 'No such server.') return; // already gone: the desired state
  if (first !== '') throw new CommandFailed(`"set server ${ref} state drain" → ${JSON.stringify(first)}`);
  await send(ctx, `set server ${ref} state maint`);
  const timeout = ctx.opts.removeTimeoutMs ?? 2000;
  if (await retryDelete(ctx, ref, timeout)) return;
  if (op.replacing) throw new CommandFailed(`server ${op.backend}/${op.server} still has connections after ${timeout} ms: cannot re-create it`);
  ctx.pending.set(`${op.backend}/${op.server}`, op.previous);
  ctx.warnings.push(`server ${op.backend}/${op.server} still has connections: in maintenance, deleted later`);
}

/** Retry `del server` with backoff for up to `forMs`. True when deleted (or already gone). */
async function retryDelete(ctx: Ctx, ref: string, forMs: number): Promise<boolean> {
  const clock = ctx.opts.clock ?? systemClock;
  const deadline = clock.now() + forMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 400)) {
    ctx.sent++;
    const r = await tryDelete(ctx.opts.client, ref, ctx.opts.signal);
    if (r === 'deleted') return true;
    if (r !== 'busy') throw new CommandFailed(`"del server ${ref}" → ${JSON.stringify(r)}`);
    if (clock.now() + wait > deadline) return false;
    await delay(wait, undefined, { signal: ctx.opts.signal });
  }
}

async function tryDelete(client: CliClient, ref: string, signal?: AbortSignal): Promise<'deleted' | 'busy' | string> {
  const r = (await client(`del server ${ref}`, { signal })).trim();
  if (r === 'Server deleted.' || r === 'No such server.') return 'deleted';
  return /still has connections|connections attached|queue/i.test(r) ? 'busy' : r;
}

/** A server re-added while its old instance is still pending deletion: delete it now if possible,
 *  else re-use it when it was configured identically (set addr/weight, state ready). */
async function reusePending(ctx: Ctx, backend: string, s: ServerModel): Promise<boolean> {
  const key = `${backend}/${s.name}`;
  if (!ctx.pending.has(key)) return false;
  const old = ctx.pending.get(key);
  const ref = srvRef(backend, s.name);
  ctx.sent++;
  const r = await tryDelete(ctx.opts.client, ref, ctx.opts.signal);
  ctx.pending.delete(key);
  if (r === 'deleted') return false;
  if (!old || old.id !== s.id || old.options.join('\0') !== s.options.join('\0')) {
    throw new CommandFailed(`server ${key} is still draining with other options: cannot re-create it`);
  }
  if (s.port !== undefined) await send(ctx, `set server ${ref} addr ${cliArg(s.host)} port ${s.port}`);
  await send(ctx, `set server ${ref} weight ${s.weight ?? 1}`);
  await send(ctx, `set server ${ref} state ${s.disabled ? 'maint' : 'ready'}`);
  return true;
}

/** Retry the pending deletions once each; returns how many are still pending. */
export async function retryPendingDeletes(pending: PendingDeletes, client: CliClient, signal?: AbortSignal): Promise<number> {
  for (const key of [...pending.keys()]) {
    const slash = key.indexOf('/');
    const r = await tryDelete(client, srvRef(key.slice(0, slash), key.slice(slash + 1)), signal);
    if (r !== 'busy') pending.delete(key);
  }
  return pending.size;
}

/** Read back every map and backend the ops touched and compare with `model`. Returns mismatches. */
export async function verifyRuntime(
  model: HaproxyModel,
  ops: readonly RuntimeOp[],
  client: CliClient,
  opts: { readonly pendingDeletes?: PendingDeletes; readonly signal?: AbortSignal } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const maps = new Set(ops.flatMap((o) => ('map' in o ? [o.map] : [])));
  const backends = new Set(ops.flatMap((o) => ('backend' in o ? [o.backend] : [])));
  for (const ref of maps) {
    const r = model.mapRefs.get(ref);
    const want = r ? model.maps.get(r.file) : undefined;
    if (!r || !want) continue;
    const got = parseShowMap(await client(`show map ${cliArg(ref)}`, opts));
    if (!sameMap(want, got, r.orderSensitive)) problems.push(`map ${ref}: runtime has ${got.length} entries that differ from the file's ${want.length}`);
  }
  for (const be of backends) {
    const proxy = model.proxies.get(be);
    if (!proxy) continue;
    const got = new Map(parseServersState(await client(`show servers state ${cliArg(be)}`, opts)).map((s) => [s.name, s]));
    for (const s of proxy.servers.values()) {
      const g = got.get(s.name);
      if (!g) problems.push(`server ${be}/${s.name} missing`);
      else if (s.port !== undefined && (g.port !== s.port || g.addr !== s.host)) problems.push(`server ${be}/${s.name} is at ${g.addr}:${g.port}, not ${s.address}`);
      else if (g.weight !== (s.weight ?? 1)) problems.push(`server ${be}/${s.name} has weight ${g.weight}, not ${s.weight ?? 1}`);
      else if (((g.adminState & ADMIN_FORCED_MAINT) !== 0) !== s.disabled) problems.push(`server ${be}/${s.name} maintenance state differs`);
    }
    for (const name of got.keys()) {
      if (proxy.servers.has(name) || opts.pendingDeletes?.has(`${be}/${name}`)) continue;
      problems.push(`server ${be}/${name} still present`);
    }
  }
  return problems;
}

function sameMap(want: MapEntries, got: MapEntries, ordered: boolean): boolean {
  if (want.length !== got.length) return false;
  const key = ([k, v]: readonly [string, string]): string => `${k}\0${v}`;
  const a = want.map(key);
  const b = got.map(key);
  if (!ordered) {
    a.sort();
    b.sort();
  }
  return a.every((x, i) => x === b[i]);
}
