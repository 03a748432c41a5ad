import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { outputLevel } from '../src/haproxy/output.ts';
import { createLogger } from '../src/log.ts';

function sink(isTTY = false): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk, _e, cb) {
      out += String(chunk);
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  return { stream, text: () => out };
}

describe('log levels', () => {
  it('JSON lines carry the level as a label', () => {
    const s = sink();
    const log = createLogger({ format: 'json', destination: s.stream });
    log.info('hello');
    log.warn('careful');
    const lines = s.text().trim().split('\n').map((l) => JSON.parse(l) as { level: unknown; msg: string });
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [['info', 'hello'], ['warn', 'careful']]);
  });

  it('text is coloured on a terminal only', () => {
    const tty = sink(true);
    createLogger({ format: 'text', destination: tty.stream }).error({ a: 1 }, 'boom');
    assert.match(tty.text(), /\x1b\[31mERROR\x1b\[0m boom a=1/);
    const file = sink(false);
    createLogger({ format: 'text', destination: file.stream }).error('boom');
    assert.match(file.text(), / ERROR boom\n$/);
    assert.ok(!file.text().includes('\x1b['), 'no escape codes in a file or pipe');
  });

  it("HAProxy's routine reload and stop output is info, real problems keep their level", () => {
    const routine = [
      '[WARNING]  (1234) : Proxy be_web stopped (cumulated conns: FE: 0, BE: 3).',
      '[WARNING]  (1233) : Former worker (1240) exited with code 0 (Exit)',
      '[WARNING]  (1233) : Exiting Master process...',
      '[ALERT]    (1233) : Current worker (1240) exited with code 143 (Terminated)',
      '[WARNING]  (1234) : Stopping frontend http in 0 ms.',
      '[NOTICE]   (1233) : New worker (1250) forked',
      '[NOTICE]   (1233) : Loading success.',
    ];
    for (const l of routine) assert.equal(outputLevel(l), 'info', l);
    assert.equal(outputLevel("[ALERT]    (1) : config : parsing [x.cfg:3] : unknown keyword 'bogus'"), 'error');
    assert.equal(outputLevel('[WARNING]  (1) : Server be_web/s1 is DOWN, reason: Layer4 connection problem'), 'warn');
    assert.equal(outputLevel('[ALERT]    (1233) : Current worker (1240) exited with code 139 (Segmentation fault)'), 'error');
  });
});
