/** The status listener (`/healthz`, `/metrics`) and the metrics it serves. */
export { healthReport, resourceHealth, sourceHealth, sourceLagMs } from './health.ts';
export type { HealthOptions, HealthReport, ResourceHealth, SourceHealth } from './health.ts';
export { createMetrics, failureStep, RENDER_DURATION_BUCKETS } from './metrics.ts';
export type { KeyplateMetrics, MetricsOptions } from './metrics.ts';
export { parseListen, startStatusServer } from './server.ts';
export type { ListenAddress, StatusServer, StatusServerOptions } from './server.ts';
export { buildStatus, isoTimes } from './document.ts';
export type { StatusDocument, StatusSources, Problem, ProblemKind, ResourceStatusInput, QuarantinedKey, GuardHold } from './document.ts';
export { isSecretFile, isSecretName, maskDeep, maskText, maskValue, MASK } from './mask.ts';
export { CycleRecorder } from './recorder.ts';
export { STATUS_PAGE_HTML } from './page.ts';
