import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from './render.ts';

/** Each pongo2 built-in, written the way remco templates write it (colon arguments). */
describe('pongo2 built-in filters', () => {
  const cases: [string, string, Record<string, unknown>?][] = [
    ['{{ "42"|integer + 1 }} {{ "x"|integer }} {{ 3.9|integer }}', '43 0 3'],
    ['{{ "1.5"|float }} {{ "x"|float }} {{ "x"|float(2) }}', '1.5 0 2'],
    ['{{ 5|stringformat:"%03d" }} {{ "a"|stringformat:"[%5s]" }}', '005 [    a]'],
    ['{{ "a b c"|cut:" " }}', 'abc'],
    ['{{ t|yesno }} {{ f|yesno }} {{ n|yesno }} {{ t|yesno:"on,off" }} {{ n|yesno:"on,off" }} {{ n|yesno:"on,off,unknown" }}', 'yes no maybe on off unknown', { t: true, f: false, n: null }],
    ['[{{ "ab"|ljust:5 }}] [{{ "ab"|rjust:"5" }}] [{{ "ab"|center:5 }}] [{{ "toolong"|ljust:3 }}]', '[ab   ] [   ab] [  ab ] [toolong]'],
    ['{{ "abc"|make_list|join(",") }}', 'a,b,c'],
    ['{{ "hello world"|capfirst }}', 'Hello world'],
    ['{{ 1|add:2 }} {{ "a"|add:"b" }} {{ "1"|add:2 }}', '3 ab 12'],
    ['{{ n|default_if_none:"x" }} {{ e|default_if_none:"x" }}|', 'x |', { n: null, e: '' }],
    ['{{ 10|divisibleby:5 }} {{ 10|divisibleby:3 }} {{ 10|divisibleby:0 }}', 'true false false'],
    ['{{ 3.14159|floatformat }} {{ 3.0|floatformat }} {{ 3.14159|floatformat:2 }} {{ 3|floatformat:2 }} {{ 3|floatformat:-2 }}', '3.1 3 3.14 3.00 3'],
    ['{{ l|length_is:2 }} {{ l|length_is:3 }}', 'true false', { l: [1, 2] }],
    ['server{{ 1|pluralize }} server{{ 2|pluralize }} class{{ 2|pluralize:"es" }} cherr{{ 1|pluralize:"y,ies" }} cherr{{ l|pluralize:"y,ies" }}', 'server servers classes cherry cherries', { l: [1, 2] }],
    ['{{ "abcdefgh"|truncatechars:6 }} {{ "abc"|truncatechars:6 }} {{ "abcdef"|truncatechars:2 }}', 'abc... abc ab'],
    ['{{ "it\'s \\"x\\""|addslashes }}', 'it\\\'s \\"x\\"'],
    ['{{ "abcdef"|slice:"1:3" }} {{ l|slice:":-1"|join(",") }} {{ l|slice:"-2:"|join(",") }}', 'bc 1,2 2,3', { l: [1, 2, 3] }],
    ['{{ x|default:"d" }} {{ e|default:"d" }} {{ v|default:"d" }}', 'd d v', { e: '', v: 'v' }],
  ];
  for (const [src, want, vars] of cases) {
    it(src, async () => assert.equal(await render(src, {}, {}, vars), want));
  }

  it('date formats a datetime() value with a Go layout', async () => {
    const now = () => new Date('2024-03-05T07:08:09Z');
    assert.equal(await render('{{ datetime().UTC()|date:"2006-01-02 15:04" }}', {}, { now }), '2024-03-05 07:08');
  });
  it('yesno and pluralize reject bad choice lists', async () => {
    await assert.rejects(render('{{ 1|yesno:"a" }}'), /yesno: needs 2 or 3/);
    await assert.rejects(render('{{ 1|pluralize:"a,b,c" }}'), /pluralize: takes at most 2/);
  });
  it('nunjucks slice keeps its own meaning for non-colon arguments', async () => {
    assert.equal(await render('{% for g in [1,2,3,4]|slice(2) %}[{{ g|join(",") }}]{% endfor %}'), '[1,2][3,4]');
  });
});
