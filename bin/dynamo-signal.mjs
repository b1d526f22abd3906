#!/usr/bin/env node
// The `dynamo-signal` command: the signaling server on $PORT and $HOST (signaling/main.ts; bin/run-entry.mjs picks lib/ or the sources).
import { runEntry } from './run-entry.mjs';

await runEntry('dynamo-signal', 'signaling/main.ts', 'lib/signaling/main.js', ['ws']);
