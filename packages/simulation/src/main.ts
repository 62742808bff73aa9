#!/usr/bin/env node
/** `npm start`: the whole simulated drive; then the web viewer until Ctrl-C (or --exit). */
import { HELP, UsageError, parseOptions } from './options.js';
import { Reporter } from './report.js';
import { runSimulation } from './simulation.js';

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const report = new Reporter();
  const running = await runSimulation(options, report);
  if (options.json) report.raw(`${JSON.stringify(running.summary)}\n`);
  if (options.exit) {
    await running.stop();
    return 0;
  }
  report.raw(`\nweb viewer: ${running.summary.viewer}\n(the dashcam, phone and cloud keep running; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  report.raw('\nstopping...\n');
  await running.stop();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`ringclip-sim: ${err.message}\n(npm start -- --help lists the options)\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`ringclip-sim: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
