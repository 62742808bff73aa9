#!/usr/bin/env node
/** The `ringclip` command: starts runCli() (lib/cli/run.ts) and exits with its status. */
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2));
