/**
 * `npm start`: render the example we recommend (examples/etcd-haproxy, the registrator + etcd +
 * HAProxy template) from its bundled data and print it, then say on stderr what to try next.
 */
import { main } from '../src/cli/program.ts';

const example = 'examples/etcd-haproxy';
const code = await main(['render', '-c', `${example}/offline.toml`], { stdout: process.stdout, stderr: process.stderr, env: process.env });
if (code === 0) {
  process.stderr.write(
    `next: keyplate render --diff -c ${example}/offline.toml   # what would change on disk\n` +
      `next: ETCD_NODE=http://127.0.0.1:2379 keyplate run -c ${example}/config.toml   # follow etcd, run HAProxy\n`,
  );
}
process.exitCode = code;
