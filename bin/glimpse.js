#!/usr/bin/env -S node --max-semi-space-size=16 --liftoff-only
// A checkout runs the TypeScript sources (Node >= 22.19 strips types); the installed package has no src/
// and runs the JavaScript that `npm pack` compiled into dist/, since Node strips no types under node_modules.
// See docs/decisions/0001-node-type-stripping.md.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : '../dist/cli/main.js');
