import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pongo2ToNunjucks } from '../../src/template/pongo2.ts';
import { render } from './render.ts';

const lines = (s: string) => s.split('\n').length;

describe('pongo2 → nunjucks rewrites', () => {
  it('for … reversed / sorted keeps the tag length and the expression columns', () => {
    const src = '{% for x in lsdir("/c") | sortByLength reversed %}';
    const out = pongo2ToNunjucks(src);
    assert.equal(out, '{% for x in(lsdir("/c") | sortByLength)|_rev    %}');
    assert.equal(out.length, src.length);
    assert.equal(out.indexOf('lsdir'), src.indexOf('lsdir'));
    assert.equal(pongo2ToNunjucks('{% for k in m sorted %}'), '{% for k in(m)|_srt  %}');
    assert.equal(pongo2ToNunjucks('{%- for k in m sorted reversed -%}'), '{%- for k in(m)|_srt|_rev      -%}');
  });
  it('leaves a loop variable or key named like a modifier alone', () => {
    assert.equal(pongo2ToNunjucks('{% for x in sorted %}'), '{% for x in sorted %}');
    assert.equal(pongo2ToNunjucks('{% for x in a.reversed %}'), '{% for x in a.reversed %}');
  });
  it('filter:arg → filter(arg), absorbing one following space', () => {
    assert.equal(pongo2ToNunjucks('{{ x|index:-1 }}'), '{{ x|index(-1)}}');
    assert.equal(pongo2ToNunjucks('{{ x|join:sep|upper }}'), '{{ x|join(sep)|upper }}');
    assert.equal(pongo2ToNunjucks('{{ x|mapValue:a.b }}'), '{{ x|mapValue(a.b)}}');
  });
  it('forloop fields, True/False/None, && || !, {% empty %}', () => {
    assert.equal(pongo2ToNunjucks('{{ forloop.Counter0 }}'), '{{ loop.index0      }}');
    assert.equal(pongo2ToNunjucks('{% if forloop.Last %}'), '{% if loop.last    %}');
    assert.equal(pongo2ToNunjucks('{{ True }}{{ False }}{{ None }}{{ x.True }}'), '{{ true }}{{ false }}{{ none }}{{ x.True }}');
    assert.equal(pongo2ToNunjucks('{% if a && b || !c %}'), '{% if a and b or not c %}');
    assert.equal(pongo2ToNunjucks('{% if a!=b %}'), '{% if a!=b %}');
    assert.equal(pongo2ToNunjucks('{% empty %}'), '{% else  %}');
  });
  it('never touches raw text, strings, comments or raw/verbatim blocks', () => {
    const src = [
      'forloop.Counter True x|f:"a" && b',
      '{{ "forloop.Counter x|f:1 True && !" }}',
      "{{ 'reversed %}' }}",
      '{# forloop.Counter x|f:1 #}',
      '{% raw %}{{ forloop.Counter }} {% for x in y reversed %}{% endraw %}',
      '{% verbatim %}{{ x|f:1 }}{% endverbatim %}',
    ].join('\n');
    assert.equal(pongo2ToNunjucks(src), src);
  });
  it('never adds or removes a line', () => {
    const src = '{% for x in\n  items\n  reversed %}\n{{ x|default:"a"\n}}{% endfor %}\n{% if a &&\nb %}{% endif %}';
    assert.equal(lines(pongo2ToNunjucks(src)), lines(src));
  });
});

describe('pongo2 idioms render unchanged', () => {
  const tree = { '/s/a': '1', '/s/bb': '2', '/s/c': '3' };
  it('for … reversed / sorted / sorted reversed', async () => {
    assert.equal(await render('{% for x in ls("/s") reversed %}{{ x }}{% endfor %}', tree), 'cbba');
    assert.equal(await render('{% for x in l sorted %}{{ x }}{% endfor %}', {}, {}, { l: [3, 10, 2] }), '2310');
    assert.equal(await render('{% for x in l sorted reversed %}{{ x }},{% endfor %}', {}, {}, { l: ['b', 'c', 'a'] }), 'c,b,a,');
    assert.equal(await render('{% for k, v in m sorted %}{{ k }}={{ v }};{% endfor %}', {}, {}, { m: { b: 2, a: 1 } }), 'a=1;b=2;');
  });
  it('for … reversed over a filter with a colon argument', async () => {
    assert.equal(await render('{% for x in l|slice:":2" reversed %}{{ x }}{% endfor %}', {}, {}, { l: [1, 2, 3] }), '21');
  });
  it('forloop counters', async () => {
    const out = await render('{% for x in ls("/s") %}{{ forloop.Counter }}{{ forloop.Counter0 }}{{ forloop.Revcounter }}{{ forloop.Revcounter0 }}{% if forloop.First %}F{% endif %}{% if forloop.Last %}L{% endif %} {% endfor %}', tree);
    assert.equal(out, '1032F 2121 3210L ');
  });
  it('function calls written with a space before the parenthesis', async () => {
    assert.equal(await render('{% if exists (printf ("/s/%s", x )) %}{{ getv (printf ("/s/%s", x)) }}{% endif %}', tree, {}, { x: 'bb' }), '2');
  });
  it('.Key / .Value on pairs, filter colon syntax, {% empty %}', async () => {
    assert.equal(await render('{% for p in gets("/s/*") %}{{ p.Key|base }}={{ p.Value }} {% endfor %}', tree), 'a=1 bb=2 c=3 ');
    assert.equal(await render('{% for x in ls("/none") %}{{ x }}{% empty %}none{% endfor %}', tree), 'none');
    assert.equal(await render('{% if True && !False %}ok{% endif %}'), 'ok');
  });
});
