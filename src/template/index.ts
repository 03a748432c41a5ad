export { createTemplateEngine } from './engine.ts';
export type { RenderInput, TemplateEngine, TemplateEngineOptions, TemplateLanguage } from './engine.ts';
export { systemResolver, type DnsResolver, type SrvRecord, type TemplateSrv } from './dns.ts';
export { pongo2ToNunjucks } from './pongo2.ts';
export { sprintf } from './printf.ts';
export { GoTime } from './gotime.ts';
export { TemplateFunctionError } from './strings.ts';
export { SkipLedger, type Skip, type SkipRecorder, type SkipLedgerOptions } from './skips.ts';
export { stableId, serverName, type HaproxyServerEntry, type HaproxyServerValue } from './haproxy-values.ts';
