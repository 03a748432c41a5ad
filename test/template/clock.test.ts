import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GoTime } from '../../src/template/gotime.ts';
import { render } from './render.ts';

const instant = new Date('2024-03-05T07:08:09.120Z');
const now = () => instant;

describe('clock functions use the injected clock', () => {
  it('unixTS is Unix seconds as a string', async () => {
    assert.equal(await render('{{ unixTS() }}', {}, { now }), '1709622489');
  });
  it('dateRFC3339 is RFC 3339 with the local offset', async () => {
    const out = await render('{{ dateRFC3339() }}', {}, { now });
    assert.match(out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.equal(new Date(out).getTime(), Math.floor(instant.getTime() / 1000) * 1000);
  });
  it('datetime() is a Go time: Format, UTC, Unix; datetime.Format works without the call (confd)', async () => {
    assert.equal(await render('{{ datetime().UTC().Format("2006-01-02 15:04:05") }}', {}, { now }), '2024-03-05 07:08:09');
    assert.equal(await render('{{ datetime().Unix() }}', {}, { now }), '1709622489');
    const viaProperty = await render('{{ datetime.Format("2006") }}', {}, { now });
    assert.equal(viaProperty, String(instant.getFullYear()));
  });
  it('every pass of one render sees the same instant', async () => {
    let calls = 0;
    const ticking = () => new Date(instant.getTime() + 1000 * calls++);
    const resolver = { lookupIP: async () => ['10.0.0.1'], lookupSRV: async () => [] };
    const out = await render('{{ unixTS() }} {{ lookupIP("h")|join }} {{ unixTS() }}', {}, { now: ticking, resolver });
    assert.equal(out, '1709622489 10.0.0.1 1709622489');
    assert.equal(calls, 1);
  });
});

describe('GoTime.Format (Go reference layouts)', () => {
  const t = new GoTime(new Date('2024-03-05T17:08:09.120Z')).UTC();
  const cases: [string, string][] = [
    ['2006-01-02T15:04:05Z07:00', '2024-03-05T17:08:09Z'],
    ['Mon Jan _2 15:04:05 MST 2006', 'Tue Mar  5 17:08:09 UTC 2024'],
    ['Monday, January 2, 06', 'Tuesday, March 5, 24'],
    ['3:04PM', '5:08PM'],
    ['03:04:05 pm', '05:08:09 pm'],
    ['15:04:05.000', '17:08:09.120'],
    ['15:04:05.999', '17:08:09.12'],
    ['-0700 -07:00 Z0700', '+0000 +00:00 Z'],
    ['002', '065'],
    ['1/2', '3/5'],
  ];
  for (const [layout, want] of cases) {
    it(layout, () => assert.equal(t.Format(layout), want));
  }
  it('String and JSON', () => {
    assert.equal(t.String(), '2024-03-05 17:08:09.12 +0000 UTC');
    assert.equal(JSON.stringify({ t }), '{"t":"2024-03-05T17:08:09.12Z"}');
  });
});
