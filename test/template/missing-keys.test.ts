/** Resource `missing_keys`: "error" (default) fails the render, "empty" renders a missing key as "". */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateError } from '../../src/errors.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { engine } from './render.ts';

const tree = new MemoryTree([['/a', '1']]);
const src = '[{{ getv("/a") }}|{{ getv("/missing") }}|{{ get("/missing").Value }}|{{ getv("/missing", "d") }}]';

describe('missing_keys', () => {
  it('error (default) fails the render naming the key', async () => {
    await assert.rejects(engine().renderString(src, 't.tmpl', { resource: 'r', tree }), (e: unknown) => e instanceof TemplateError && /key does not exist: \/missing/.test(e.message));
  });
  it('empty renders missing keys as "" and keeps explicit defaults', async () => {
    assert.equal(await engine().renderString(src, 't.tmpl', { resource: 'r', tree, missingKeys: 'empty' }), '[1|||d]');
  });
});
