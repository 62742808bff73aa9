/**
 * The `ringclip` command line: runCli() parses, runs a command, reports an error on stderr and
 * returns the exit status. main.ts starts it; tests call it in-process too.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { RingclipError } from '../errors.js';
import * as commands from './commands.js';
import { nearestOption, optionText } from './suggest.js';
import { USAGE, UsageError } from './usage.js';

const OPTIONS = {
  capacity: { type: 'string' },
  'segment-size': { type: 'string' },
  'protect-cap': { type: 'string' },
  flush: { type: 'string' },
  stream: { type: 'string', multiple: true },
  streams: { type: 'string' },
  fps: { type: 'string' },
  start: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  exact: { type: 'boolean' },
  fragmented: { type: 'boolean' },
  format: { type: 'string' },
  'allow-partial': { type: 'boolean' },
  json: { type: 'boolean' },
  o: { type: 'string', short: 'o' },
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const NAMES = Object.keys(OPTIONS);
const SHORT: Record<string, string> = { o: 'o', h: 'help' };

/** Refuses an unknown option with the nearest known one, before parseArgs' generic message. */
function checkOptionNames(argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') return; // the rest are positionals
    let name: string | undefined;
    if (token.startsWith('--')) name = token.slice(2).split('=')[0];
    else if (/^-[^-\d]/.test(token)) name = SHORT[token[1]] ?? token.slice(1);
    if (name === undefined) continue;
    const known = (OPTIONS as Record<string, { type: string }>)[name];
    if (known === undefined) {
      const near = nearestOption(name, NAMES);
      const hint = near === undefined ? '' : `: did you mean \`${optionText(near)}\`?`;
      throw new UsageError(`unknown option \`${token.split('=')[0]}\`${hint}`);
    }
    // A string option's value may itself start with '-': it is not an option.
    if (known.type === 'string' && !token.includes('=')) i++;
  }
}

function packageVersion(): string {
  // dist/cli/run.js (or lib/cli/run.ts) -> the package's package.json
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  checkOptionNames(argv);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.version) {
    process.stdout.write(`ringclip ${packageVersion()}\n`);
    return 0;
  }
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  const flags = values as commands.Flags;
  const needTarget = (what: string) => {
    if (!target) throw new UsageError(`${command} needs ${what}`);
    return target;
  };
  switch (command) {
    case 'create':
      return commands.create(needTarget('a STORE path'), flags);
    case 'ingest':
      return commands.ingest(needTarget('a STORE path'), flags);
    case 'info':
      return commands.info(needTarget('a STORE path'), flags);
    case 'verify':
      return commands.verify(needTarget('a STORE path'), flags);
    case 'clip':
      return commands.clip(needTarget('a STORE path'), flags);
    case 'cut':
      return (await import('./cut.js')).cut(needTarget('an input MP4'), flags);
    case 'demo':
      return (await import('./demo.js')).demo(flags);
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** Runs the command line `argv` (without node and the script); resolves with the exit status. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ringclip: ${err.message}\n(ringclip --help lists the commands)\n`);
      return 2;
    }
    if (err instanceof RingclipError) {
      process.stderr.write(`ringclip: ${err.message}\n`);
      return 1;
    }
    // Not an error of the input: a bug, shown with its stack.
    process.stderr.write(`ringclip: ${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  }
}
