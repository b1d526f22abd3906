// `npm run bench [-- --quick]`: measures, never gates. Prints a markdown table, writes
// bench/results/latest.json, latest.md and latest.svg (the latency distributions as a chart).
// A part that fails prints its error and leaves NaN rows with the reason; the rest still runs.

import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { benchBrowser } from './browser';
import { benchCore } from './core';
import { benchMembership } from './membership';
import { benchAntiEntropy } from './antientropy';
import { benchSim } from './sim';
import { benchReplica } from './replica';
import { latencyChart } from './chart';
import { failed, table, type Row } from './stats';

const quick = process.argv.includes('--quick');
/** `--only=memory`: just the browser sections whose title contains it (for working on one). */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const started = Date.now();
const rows: Row[] = [];

async function part(name: string, fn: () => Row[] | Promise<Row[]>): Promise<void> {
  const t0 = Date.now();
  try {
    rows.push(...(await fn()));
    console.error(`bench: ${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`bench: ${name}: FAILED: ${err instanceof Error ? (err.stack ?? msg) : msg}`);
    rows.push(failed(name, '', msg));
  }
}

let chromium = 'unavailable';
// `--only=replica` runs the replica part alone (it starts its own tabs and dynamo-node processes).
if (only !== 'replica') {
  await part('core (Node)', () => benchCore(quick));
  await part('simulator throughput', () => benchSim(quick));
  await part('membership (simulator)', () => benchMembership(quick));
  await part('anti-entropy exchange (Node)', () => benchAntiEntropy(quick));
  await part('browser (Chromium tabs)', async () => {
    const browser = await benchBrowser(quick, only);
    chromium = browser.chromium;
    return browser.rows;
  });
}
if (only === undefined || only === 'replica') await part('Node replica (dynamo-node)', () => benchReplica(quick));

const machine = {
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  chromium,
  platform: `${os.platform()} ${os.release()}`,
};
const result = { date: new Date().toISOString(), quick, seconds: (Date.now() - started) / 1000, machine, rows };
const title = `npm run bench${quick ? ' -- --quick' : ''}, ${result.date.slice(0, 16).replace('T', ' ')} UTC: latency distributions (${machine.cpus}, Chromium ${chromium})`;
const out = only ? `only-${only.replace(/[^\w-]/g, '_')}` : 'latest';
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
// JSON has no NaN: a failed row's numbers become null there, its note says why.
writeFileSync(new URL(`./results/${out}.json`, import.meta.url), JSON.stringify(result, null, 2));
writeFileSync(new URL(`./results/${out}.md`, import.meta.url), `${table(rows)}\n`);
writeFileSync(new URL(`./results/${out}.svg`, import.meta.url), latencyChart(rows, title));
console.log(table(rows));
console.log(`\nmachine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}, Chromium ${machine.chromium}`);
const failures = rows.filter((r) => r.note?.startsWith('failed:')).length;
if (failures > 0) console.log(`${failures} rows failed (NaN; see their notes and the errors above)`);
console.log(`took ${result.seconds.toFixed(0)} s; wrote bench/results/${out}.json, ${out}.md and ${out}.svg (latency chart)`);
process.exit(0); // a replica's WebRTC (wrtc) may keep the loop alive once the results are written
