#!/usr/bin/env node
// The installed entry point: the compiled CLI. Kept tiny so that start-up loads only
// what the command needs (see src/cli/main.ts).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
