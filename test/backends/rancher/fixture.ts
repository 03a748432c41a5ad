/** Shared setup for the rancher backend tests: an emulator plus a backend pointed at it. */
import type { TestContext } from 'node:test';
import type { Logger } from 'pino';
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend, BackendContext } from '../../../src/backends/contract.ts';
import type { KeyPath } from '../../../src/tree/keys.ts';
import { startRancherMetadata, type RancherMetadataEmulator, type RancherMetadataOptions } from '../../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld } from '../../emulator/world.ts';
import { silentLogger } from '../../helpers/logger.ts';

export const k = (s: string) => s as KeyPath;

export function haproxyWorld() {
  return rancherHaproxyWorld({
    apps: [{ stack: 'app1', containers: 2 }, { stack: 'App2', service: 'Web', port: '8080', proxy: 'send-proxy-v2' }],
    aliases: { app1: ['www', 'alt'] },
    sslCert: 'CERT\n',
    sslKey: 'KEY\n',
  });
}

export async function emulator(t: Pick<TestContext, 'after'>, opts: RancherMetadataOptions = {}): Promise<RancherMetadataEmulator> {
  const emu = await startRancherMetadata({ world: haproxyWorld(), ...opts });
  t.after(() => emu.close());
  return emu;
}

export function backendFor(
  t: Pick<TestContext, 'after'>,
  emu: RancherMetadataEmulator,
  options: Record<string, unknown> = {},
  ctx: Partial<BackendContext> & { logger?: Logger } = {},
): Backend {
  const b = openBackend('rancher', 'rancher', { api_host: emu.host, ...options }, {
    logger: silentLogger(),
    env: {},
    fetch: globalThis.fetch,
    baseDir: process.cwd(),
    ...ctx,
  });
  t.after(() => b.close());
  return b;
}

/** What the runner does: keep the last good snapshot when a read fails. */
export class LastGood {
  values: ReadonlyMap<KeyPath, string> = new Map();
  revision: string | undefined;
  constructor(
    readonly backend: Backend,
    readonly prefixes: readonly KeyPath[],
  ) {}
  async refresh(): Promise<unknown> {
    try {
      const s = await this.backend.getValues(this.prefixes);
      this.values = s.values;
      this.revision = s.revision;
      return undefined;
    } catch (e) {
      return e;
    }
  }
}
