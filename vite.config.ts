// Vite build: two pages, the cart demo at / and the live ring view at /ring.html.
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

export default defineConfig({
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        ring: resolve(import.meta.dirname, 'ring.html'),
      },
    },
  },
  // Pre-bundled up front: discovered on first page load instead, they make Vite reload the page,
  // which pages served with HMR off (the benchmark) never do.
  optimizeDeps: { include: ['idb', 'simple-peer/simplepeer.min.js'] },
  server: {
    proxy: {
      // A regex: a plain '/signal' prefix would also swallow /signaling/*.ts modules.
      '^/signal(\\?.*)?$': { target: 'ws://127.0.0.1:8080', ws: true },
      // The page's STUN/TURN config (with fresh TURN credentials) comes from the signaling server.
      '/ice.json': { target: 'http://127.0.0.1:8080' },
    },
  },
});
