// Vite build for the Tauri webview: relative paths, no inlined assets, strict-CSP friendly.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  base: "./",
  plugins: [react()],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    watch: { ignored: ["**/src-tauri/**"] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    // Inlined data: URIs would need a looser CSP; keep every asset a file.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
