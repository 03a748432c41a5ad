/**
 * The command line: `run`, `render`, `keys`, `check`, `confd`, `version`. `main` returns the exit code (documented in
 * docs/cli.md); bin.ts sets process.exitCode so pending log lines flush.
 */
import { Command, CommanderError, Option } from 'commander';
import { errorMessage, ExitCode, exitCodeOf, isAppError, type ExitCodeValue } from '../errors.ts';
import type { CliIo } from '../app.ts';
import { normalizeArgv, type ArgvSpelling } from './argv.ts';
// Command modules load on use, so `--help`, `--version` and simple commands start fast.

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function createProgram(io: CliIo, setCode: (code: ExitCodeValue) => void, signal?: AbortSignal): Command {
  const program = new Command('keyplate')
    .description('Render configs from etcd, Rancher metadata, env and files; check, install atomically, reload safely.')
    // handled by main() before parsing: the versions of keyplate, Node and HAProxy (like `version`)
    .option('-V, --version', 'print the versions of keyplate, Node.js and HAProxy')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  const common = (c: Command) =>
    c
      .option('-c, --config <file>', 'config file (env KEYPLATE_CONFIG; default /etc/keyplate/config.toml)')
      .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
      .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']));

  common(program.command('run'))
    .description('render every resource, then keep them in step with the backends (watch and/or interval)')
    .option('--onetime', 'render once and exit (non-zero when any resource failed)')
    .option('--noop', 'render and compare only: never write files or run commands')
    .option('--dry-run', 'same as --noop')
    .option('--interval <seconds>', 'poll backends that have no interval of their own this often', Number)
    .option('--resource <name>', 'only this resource (repeatable)', collect)
    .option('--allow-empty', 'install what the backends hold now even when a prefix is empty or shrank beyond max_shrink since the last install (the data guard holds it otherwise)')
    .option('--listen <address>', 'serve /healthz and /metrics here, e.g. 127.0.0.1:9100 (overrides [http] listen; default: [http] listen, else env KEYPLATE_LISTEN)')
    .action(async (opts) => setCode(await (await import('./run.ts')).runCommand(io, { ...opts, noop: opts.noop || opts.dryRun }, signal)));

  common(program.command('render'))
    .description('print rendered resources (or a diff against their destinations); touches nothing')
    .argument('[template]', 'render this template ad hoc instead of the config\'s resources')
    .option('--resource <name>', 'only this resource (repeatable)', collect)
    .option('--diff', 'print a unified diff against the current destination instead of the contents')
    .option('--exit-code', 'exit 1 when a destination would change, 0 when none would (like git diff --exit-code)')
    .option('--backend <uri>', 'with TEMPLATE: a backend URI (repeatable): file:data.yaml, env:, etcd://host:2379, rancher://host', collect)
    .option('--prefix <prefix>', 'with TEMPLATE: key prefix stripped before the template sees keys')
    .option('--keys <prefixes>', 'with TEMPLATE: comma-separated prefixes to read (default: everything)')
    .addOption(new Option('--engine <engine>', 'with TEMPLATE: its language (go: a confd Go template)').choices(['nunjucks', 'go']))
    .action(async (template, opts) => setCode(await (await import('./render.ts')).renderCommand(io, { ...opts, template }, signal)));

  common(program.command('keys'))
    .description('print the normalized key tree a template would see')
    .option('--backend <uri>', 'backend URI (repeatable); without it, the backends of the config\'s resources', collect)
    .option('--prefix <prefix>', 'key prefix stripped from the keys')
    .option('--keys <prefixes>', 'comma-separated prefixes to read (default: everything)')
    .option('--resource <name>', 'with a config: only this resource (repeatable)', collect)
    .option('--json', 'print a JSON object instead of `key = value` lines')
    .action(async (opts) => setCode(await (await import('./keys.ts')).keysCommand(io, opts, signal)));

  common(program.command('check'))
    .description('validate the config (every error at once) and compile every template; --render: the whole dry run')
    .option('--render', 'also render every resource from its backends and run its check_cmd on a temporary copy (never the destination); nothing is written or reloaded')
    .option('--exit-code', 'with --render: exit 1 when a destination would change, 0 when none would')
    .action(async (opts) => setCode(await (await import('./check.ts')).checkCommand(io, opts, signal)));

  program.command('confd')
    .description('confd\'s command line: run a confd confdir (conf.d/*.toml, Go templates) with confd\'s flags, single dash as confd spells them')
    .addOption(new Option('--backend <backend>', 'backend').choices(['etcd', 'etcdv3', 'env', 'file', 'rancher']))
    .option('--node <url>', 'backend node (repeatable)', collect)
    .option('--prefix <prefix>', 'key prefix (default /)')
    .option('--confdir <dir>', 'confd conf directory (default /etc/confd)')
    .option('--onetime', 'run once and exit')
    .option('--watch', 'watch the backend for changes')
    .option('--interval <seconds>', 'poll the backend this often when not watching (default 600)')
    .option('--noop', 'render and compare only: never write files or run commands')
    .option('--sync-only', 'write files but run no check_cmd or reload_cmd')
    .option('--keep-stage-file', 'keep every stage file')
    .option('--log-level <level>', 'debug, info, warn, error')
    .option('--scheme <scheme>', 'scheme of nodes given as host:port (default http)')
    .option('--basic-auth', 'authenticate to the backend with --username/--password')
    .option('--username <user>', 'backend user')
    .option('--password <password>', 'backend password')
    .option('--client-cert <file>', 'TLS client certificate')
    .option('--client-key <file>', 'TLS client key')
    .option('--client-ca-keys <file>', 'TLS CA bundle')
    .option('--file <path>', 'data file of the file backend (repeatable)', collect)
    .option('--config-file <file>', 'confd\'s TOML config file (flags win over it)')
    .addOption(new Option('--config <file>', 'same as --config-file').hideHelp())
    .action(async (opts) => setCode(await (await import('./confd.ts')).confdCommand(io, opts, signal)));

  program.command('version')
    .description('print the versions of keyplate, Node.js and the HAProxy that run would start')
    .action(async () => setCode(await (await import('./version.ts')).versionCommand(io, signal)));

  return program;
}

/** Every long option and short letter of the program and its commands (for single-dash aliases). */
function spellingOf(program: Command): ArgvSpelling {
  const longs = new Set<string>(['help', 'version']);
  const shorts = new Set<string>(['h', 'V']);
  for (const c of [program, ...program.commands]) {
    for (const o of c.options) {
      if (o.long) longs.add(o.long.replace(/^--/, ''));
      if (o.short) shorts.add(o.short.replace(/^-/, ''));
    }
  }
  return { longs, shorts };
}

export async function main(argv: readonly string[], io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  let code: ExitCodeValue = ExitCode.OK;
  const program = createProgram(io, (c) => (code = c), signal);
  try {
    const args = normalizeArgv(argv, spellingOf(program)); // confd/remco: -onetime, -config file, -version
    if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return await (await import('./version.ts')).versionCommand(io, signal);
    await program.parseAsync(args, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    io.stderr.write(`keyplate: ${errorMessage(e)}\n`);
    if (!isAppError(e) && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return exitCodeOf(e);
  }
}
