#!/usr/bin/env node
// The `dynamo-node` command: runs src/apps/replica/main.ts through tsx (the TypeScript sources are the package for now).
import { register } from 'tsx/esm/api';

register();
await import('../src/apps/replica/main.ts');
