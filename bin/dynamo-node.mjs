#!/usr/bin/env node
// The `dynamo-node` command: an always-on replica (src/apps/replica/main.ts; bin/run-entry.mjs picks lib/ or the sources).
import { runEntry } from './run-entry.mjs';

await runEntry('dynamo-node', 'src/apps/replica/main.ts', 'lib/src/apps/replica/main.js', ['@roamhq/wrtc', 'classic-level', 'ws']);
