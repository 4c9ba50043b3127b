#!/usr/bin/env node
// The `xinyi-verify` command (package.json "bin"). The verifier is written in TypeScript so an
// owner reads the same source that runs; tsx (a dependency) compiles it on the fly, so a fresh
// clone needs only `npm ci`, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/xinyi-verify.ts');
process.exitCode = await main(process.argv.slice(2));
