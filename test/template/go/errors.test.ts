/**
 * Every construct's failure names the template file:line:col (1-based) and reads like Go's
 * text/template message. Parse errors fail `check`; execution errors fail the render.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateError } from '../../../src/errors.ts';
import { goRender } from './helpers.ts';

const CASES: readonly (readonly [construct: string, src: string, where: string, message: string])[] = [
  ['if without a pipeline', 'ok\n{{ if }}', '2:7', 'missing value for if'],
  ['if without end', 'a\n{{ if true }}x', '2:15', 'unexpected EOF'],
  ['else outside a block', '{{ else }}', '1:4', 'unexpected {{else}}'],
  ['end outside a block', '{{ end }}', '1:4', 'unexpected {{end}}'],
  ['two else in range', 'x\n  {{ range .}}{{ else }}{{ else }}{{ end }}', '2:28', 'expected end; found {{else}}'],
  ['with without a pipeline', '{{ with }}', '1:9', 'missing value for with'],
  ['range without a pipeline', '{{ range }}', '1:10', 'missing value for range'],
  ['range over a string', 'a\n{{ range "s" }}{{ end }}', '2:4', 'range can\'t iterate over s'],
  ['break outside range', '{{ break }}', '1:4', '{{break}} outside {{range}}'],
  ['continue outside range', 'x{{ continue }}', '1:5', '{{continue}} outside {{range}}'],
  ['define without end', '{{ define "a" }}x', '1:18', 'unexpected EOF'],
  ['template of an unknown name', '{{ template "nope" }}', '1:4', 'no such template "nope"'],
  ['template name not a string', '{{ template nope }}', '1:13', 'unexpected "nope" in template clause'],
  ['block without a pipeline', '{{ block "b" }}x', '1:14', 'missing value for block clause'],
  ['recursive template', '{{ define "r" }}{{ template "r" }}{{ end }}{{ template "r" }}', '1:20', 'exceeded maximum template depth'],
  ['undeclared variable', '{{ $x }}', '1:4', 'undefined variable "$x"'],
  ['assignment to an undeclared variable', '{{ $x = 1 }}', '1:4', 'undefined variable: $x'],
  ['too many declarations', '{{ $a, $b := 1 }}', '1:4', 'too many declarations in command'],
  ['unknown function', 'line\n\n  {{ nofunc 1 }}', '3:6', 'function "nofunc" not defined'],
  ['unterminated string', '{{ "unterminated }}', '1:4', 'unterminated quoted string'],
  ['unterminated raw string', '{{ `raw }}', '1:4', 'unterminated raw quoted string'],
  ['bad number', '{{ 1x }}', '1:4', 'bad number syntax: "1x"'],
  ['unclosed paren', '{{ (1 }}', '1:7', 'unclosed left paren'],
  ['unexpected paren', '{{ 1) }}', '1:5', 'unexpected right paren'],
  ['bad character', '{{ # }}', '1:4', 'unrecognized character in action'],
  ['unclosed comment', 'x {{/* c }}', '1:3', 'unclosed comment'],
  ['comment not closing the action', '{{/* c */ x }}', '1:1', 'comment ends before closing delimiter'],
  ['unclosed action', '{{ "a"', '1:7', 'unclosed action'],
  ['nil as a command', '{{ nil }}', '1:4', 'nil is not a command'],
  ['argument to a constant', '{{ "a" 1 }}', '1:4', 'can\'t give argument to non-function "a"'],
  ['constant in a pipeline stage', '{{ . | "x" }}', '1:8', 'non executable command in pipeline stage 2'],
  ['field of nil', '{{ nil.Foo }}', '1:7', 'unexpected . after term "nil"'],
  ['field of a string', '{{ (getv "/k").Foo }}', '1:5', 'can\'t evaluate field Foo in type string'],
  ['unknown KVPair field', '{{ (get "/k").Nope }}', '1:5', 'can\'t evaluate field Nope in type memkv.KVPair'],
  ['map field with arguments', '{{ $m := map "a" 1 }}{{ $m.a 1 }}', '1:25', 'a is not a method but has arguments'],
  ['field through nil', '{{ $m := map "k" nil }}{{ $m.k.Foo }}', '1:27', 'nil pointer evaluating interface {}.Foo'],
  ['and without arguments', '{{ and }}', '1:4', 'wrong number of args for and: want at least 1 got 0'],
  ['not with two arguments', '{{ not 1 2 }}', '1:4', 'wrong number of args for not: want 1 got 2'],
  ['len of an int', '{{ len 3 }}', '1:4', 'error calling len: len of type int'],
  ['index of an int', '{{ index 1 2 }}', '1:4', 'error calling index: can\'t index item of type int'],
  ['index out of range', '{{ index (split "a" ",") 3 }}', '1:4', 'error calling index: index out of range: 3'],
  ['bad slice', '{{ slice "abc" 2 1 }}', '1:4', 'error calling slice: invalid slice index: 2 > 1'],
  ['eq of int and string', '{{ eq 1 "a" }}', '1:4', 'error calling eq: incompatible types for comparison'],
  ['eq with one argument', '{{ eq 1 }}', '1:4', 'error calling eq: missing argument for comparison'],
  ['lt of bools', '{{ lt true false }}', '1:4', 'error calling lt: invalid type for comparison'],
  ['lt of int and float', '{{ lt 1 1.5 }}', '1:4', 'error calling lt: incompatible types for comparison'],
  ['call of nil', '{{ call nil }}', '1:4', 'error calling call: call of nil'],
  ['printf without a format string', '{{ printf 1 }}', '1:11', 'expected string; found 1'],
  ['getv of a missing key', 'a\n {{ getv "/missing" }}', '2:5', 'error calling getv: key does not exist: /missing'],
  ['get of a missing key', '{{ get "/missing" }}', '1:4', 'error calling get: key does not exist: /missing'],
  ['atoi of a word', '{{ atoi "x" }}', '1:4', 'error calling atoi: strconv.Atoi: parsing "x": invalid syntax'],
  ['parseBool of a word', '{{ parseBool "maybe" }}', '1:4', 'strconv.ParseBool: parsing "maybe": invalid syntax'],
  ['div by zero', '{{ div 1 0 }}', '1:4', 'error calling div: runtime error: integer divide by zero'],
  ['json of an array', '{{ json "[1]" }}', '1:4', 'error calling json'],
  ['jsonArray of an object', '{{ jsonArray "{}" }}', '1:4', 'error calling jsonArray'],
  ['map with an odd count', '{{ map "a" }}', '1:4', 'error calling map: invalid map call'],
  ['base64Decode of junk', '{{ base64Decode "!!" }}', '1:4', 'error calling base64Decode: illegal base64 data'],
  ['replace with three arguments', '{{ replace "a" "b" "c" }}', '1:4', 'wrong number of args for replace: want 4 got 3'],
  ['add of a string literal', '{{ add 1 "2" }}', '1:10', 'expected integer; found "2"'],
  ['add of a string value', '{{ add 1 (getv "/k") }}', '1:11', 'wrong type for value; expected int; got string'],
];

describe('Go template errors carry file:line:col', () => {
  for (const [construct, src, where, message] of CASES) {
    it(construct, async () => {
      await assert.rejects(goRender(src, { '/k': 'v' }, {}, 'dir/test.tmpl'), (e: unknown) => {
        assert.ok(e instanceof TemplateError, String(e));
        assert.ok(e.message.includes(`dir/test.tmpl:${where}: `), `${e.message} lacks dir/test.tmpl:${where}`);
        assert.ok(e.message.includes(message), `${e.message} lacks ${message}`);
        assert.equal(`${e.line}:${e.column}`, where);
        return true;
      });
    });
  }

  it('an execution error names the template being executed and the node', async () => {
    await assert.rejects(goRender('{{ define "inner" }}\n  {{ getv "/nope" }}{{ end }}{{ template "inner" }}'),
      /test\.tmpl:2:6: executing "inner" at <getv>: error calling getv: key does not exist: \/nope/);
  });
});
