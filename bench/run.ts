// `npm run bench [-- --quick]`: measures, never gates. Prints a markdown table, writes bench/results/latest.json.

import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { benchBrowser } from './browser';
import { benchCore } from './core';
import { benchMembership } from './membership';
import { benchAntiEntropy } from './antientropy';
import { table, type Row } from './stats';

const quick = process.argv.includes('--quick');
const started = Date.now();
const rows: Row[] = [];

rows.push(...benchCore(quick));
rows.push(...benchMembership(quick));
rows.push(...benchAntiEntropy(quick));
const browser = await benchBrowser(quick);
rows.push(...browser.rows);

const machine = {
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  chromium: browser.chromium,
  platform: `${os.platform()} ${os.release()}`,
};
const result = { date: new Date().toISOString(), quick, seconds: (Date.now() - started) / 1000, machine, rows };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify(result, null, 2));
writeFileSync(new URL('./results/latest.md', import.meta.url), `${table(rows)}\n`);
console.log(table(rows));
console.log(`\nmachine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}, Chromium ${machine.chromium}`);
console.log(`took ${result.seconds.toFixed(0)} s; wrote bench/results/latest.json and latest.md`);
