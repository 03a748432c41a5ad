/**
 * Serve the Rancher metadata emulator for local debugging:
 *
 *   node --import tsx test/emulator/serve.ts [file.json] [--port 8080] [--no-long-poll]
 *   node --import tsx test/emulator/serve.ts --dump-demo > world.json
 *
 * `file.json` is either a rancher-metadata answers file (`{"2015-12-19": {"default": {...}}}`) or a
 * World (the shape `--dump-demo` prints). Without a file it serves the rancher-haproxy demo world.
 * SIGHUP re-reads the file (and bumps /version); Ctrl-C stops.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startRancherMetadata } from './rancher-metadata.ts';
import { isAnswersFile } from './sources.ts';
import { rancherHaproxyWorld, type World } from './world.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '0' },
    'no-long-poll': { type: 'boolean', default: false },
    'dump-demo': { type: 'boolean', default: false },
  },
});

const demo = (): World =>
  rancherHaproxyWorld({
    apps: [{ stack: 'app1', containers: 2 }, { stack: 'app2', port: '8080', proxy: 'send-proxy' }],
    aliases: { app1: ['www'] },
    sslCert: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
    sslKey: '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n',
  });

if (values['dump-demo']) {
  process.stdout.write(`${JSON.stringify(demo(), null, 2)}\n`);
} else {
  const file = positionals[0];
  const load = async (): Promise<unknown> => (file ? JSON.parse(await readFile(file, 'utf8')) : demo());
  const data = await load();
  const emu = await startRancherMetadata({
    ...(isAnswersFile(data) ? { answers: data } : { world: data as World }),
    longPoll: !values['no-long-poll'],
    port: Number(values.port),
  });
  process.stdout.write(
    `rancher metadata emulator on ${emu.url} (${file ?? 'demo world'}; long poll ${values['no-long-poll'] ? 'off' : 'on'})\n` +
      `  curl ${emu.url}/2015-12-19/containers\n` +
      `  curl -H 'Accept: application/json' ${emu.url}/2016-07-29/self/service/metadata\n` +
      `  keyplate backend option: api_host = "${emu.host}"\n`,
  );
  process.on('SIGHUP', () => {
    void load().then(
      (next) => {
        if (isAnswersFile(next)) emu.setAnswers(next);
        else emu.setWorld(next as World);
        process.stdout.write(`reloaded, version ${emu.version}\n`);
      },
      (e: unknown) => process.stderr.write(`reload failed: ${String(e)}\n`),
    );
  });
  const stop = () => void emu.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
