/**
 * The daemon's observability, wired by the composition root from the parts it builds: the cycle
 * recorder and metrics (fed by every cycle), the HAProxy status tracker, and the status listener
 * serving `/`, `/status`, `/healthz` and `/metrics`. Loaded only when a listener is configured.
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import type { HaproxyApplier } from '../haproxy/applier.ts';
import { HaproxyStatusTracker } from '../haproxy/status.ts';
import type { CycleOutcome, ResourceStatus } from '../runner/resource-loop.ts';
import { buildStatus, type StatusSources } from './document.ts';
import { healthReport } from './health.ts';
import { createMetrics, type KeyplateMetrics } from './metrics.ts';
import { CycleRecorder } from './recorder.ts';
import { startStatusServer } from './server.ts';
import type { TemplateEngine } from '../template/index.ts';
import { packageVersion } from './version.ts';

export interface ObserveInput {
  readonly config: AppConfig;
  readonly engine: TemplateEngine;
  readonly status: () => readonly ResourceStatus[];
  readonly host?: HaproxyApplier;
  readonly logger: Logger;
}

export interface Observability {
  readonly metrics: KeyplateMetrics;
  /** Feed one cycle outcome (the runner's onCycle). */
  observe(o: CycleOutcome): void;
  /** Start the listener; it closes when `signal` aborts. */
  listen(listen: string, signal: AbortSignal): Promise<void>;
}

export function createObservability(input: ObserveInput): Observability {
  const startedAt = Date.now();
  const version = packageVersion();
  const recorder = new CycleRecorder();
  const tracker = input.host ? new HaproxyStatusTracker(input.host.controller) : undefined;
  const metrics = createMetrics({
    status: input.status,
    haproxy: () => input.host?.controller,
    resources: input.config.resources.map((r) => r.name),
    build: { version, node: process.version, haproxy: () => tracker?.version },
    skips: () => input.engine.skips.counts(),
    haproxyState: () => {
      if (!tracker) return undefined;
      const s = tracker.status();
      return { up: s.up, ...(s.reloads.lastOkAt !== undefined ? { lastReloadAt: s.reloads.lastOkAt } : {}) };
    },
  });
  const sources: StatusSources = {
    version,
    node: process.version,
    startedAt,
    resources: input.status,
    cycle: (r) => recorder.view(r),
    history: () => recorder.history(),
    skips: () => input.engine.skips.list(),
    haproxy: tracker ? () => tracker : undefined,
  };
  return {
    metrics,
    observe(o) {
      recorder.observe(o);
      metrics.observeCycle(o);
    },
    async listen(listen, signal) {
      const freshnessMs = input.config.http?.freshnessMs ?? 60_000;
      await startStatusServer({
        listen,
        signal,
        logger: input.logger.child({ component: 'http' }),
        health: () => healthReport(input.status(), Date.now(), { freshnessMs }),
        metrics: () => metrics.metricsText(),
        contentType: metrics.contentType,
        status: (s) => buildStatus(sources, s),
        auth: input.config.http?.auth,
      });
    },
  };
}
