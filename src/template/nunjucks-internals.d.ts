/**
 * nunjucks' internal modules (`nunjucks/src/*.js`, CommonJS) ship no types: each importer states
 * the shape it relies on. Imported statically so the build bundles them (no per-file module
 * resolution at start-up).
 */
declare module 'nunjucks/src/*.js' {
  const mod: unknown;
  export default mod;
}
