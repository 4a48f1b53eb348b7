#!/usr/bin/env node
// The `studio` command. Runs the TypeScript CLI through tsx so a fresh install needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
