// Playwright: real Chromium tabs against the real signaling server, which also serves dist/.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { chromiumArgs, chromiumPath } from './test/support/chromium';

// Workers inherit the runner's environment, so the port is chosen once, here, in the runner.
process.env.E2E_PORT ??= execFileSync(process.execPath, [
  '-e',
  "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
])
  .toString()
  .trim();
const port = Number(process.env.E2E_PORT);

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: process.env.CI ? 'list' : 'line',
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    command: 'node --import tsx signaling/main.ts',
    env: { PORT: String(port), HOST: '127.0.0.1' },
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    stdout: 'ignore',
  },
});
