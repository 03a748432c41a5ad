#!/usr/bin/env node
/** Entry point of the sources (through tsx): run the CLI (cli/start.ts) and set the exit code. */
import { start } from './cli/start.ts';

process.exitCode = await start();
