import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Two pages from one renderer tree: the web control panel (served by the account server at /)
// and the desktop app's window (loaded from file:// by Electron and over loopback by the harness).
export default defineConfig({
  root: here('./src-renderer'),
  base: './',
  plugins: [react()],
  // The panel's key-derivation worker is a module worker (new Worker(..., { type: 'module' })).
  worker: { format: 'es' },
  build: {
    outDir: here('./dist/renderer'),
    emptyOutDir: true,
    // No inline scripts or styles: both pages run under a CSP without 'unsafe-inline'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        panel: here('./src-renderer/panel/index.html'),
        desktop: here('./src-renderer/desktop/index.html'),
      },
    },
  },
});
