import { defineConfig } from 'vite';

/**
 * Built by the root `npm run build:web` as `vite build web`, so paths here are relative to `web/`.
 * No React plugin: esbuild compiles JSX on its own (tsconfig `jsx: react-jsx`), and Fast Refresh
 * is the only thing the plugin would add — not worth Babel in the dependency tree.
 */
export default defineConfig({
  // Relative asset URLs: the same build works at `/` of `keel serve` and under any CDN path.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small app: a single chunk keeps the first load to two requests (JS + CSS).
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod ships `@__PURE__` comments Rollup cannot place; harmless, and noise in every build.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  server: {
    // `npm run dev:web` next to `npm start`: the dev server forwards the API to Keel.
    proxy: {
      '/v1': 'http://127.0.0.1:8080',
      '/config.json': 'http://127.0.0.1:8080',
    },
  },
});
