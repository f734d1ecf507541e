import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // public/console/voice-edge-client.js is the minified browser bundle of client/ (npm run build:client).
  {
    ignores: [
      "node_modules",
      ".wrangler",
      "worker-configuration.d.ts",
      "src/providers/local/vendor/**",
      "dist",
      "bench/out",
      "public/console/voice-edge-client.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node scripts (dev helpers, vendor generator) run outside workerd.
    files: ["scripts/**/*.mjs", "bench/**/*.mjs", "src/providers/local/tools/**/*.mjs", "test/browser/**/*.mjs"],
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        URL: "readonly",
        Buffer: "readonly",
        fetch: "readonly",
        performance: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        structuredClone: "readonly",
      },
    },
  },
  {
    // The web console (public/console/): browser ES modules, and one AudioWorklet module.
    files: ["public/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: {
        window: "readonly",
        document: "readonly",
        navigator: "readonly",
        location: "readonly",
        history: "readonly",
        sessionStorage: "readonly",
        console: "readonly",
        fetch: "readonly",
        URL: "readonly",
        CSS: "readonly",
        atob: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        DOMException: "readonly",
        AudioContext: "readonly",
        AudioWorkletNode: "readonly",
        AudioBufferSourceNode: "readonly",
        GainNode: "readonly",
        MediaStreamAudioSourceNode: "readonly",
      },
    },
  },
  {
    // Functions a browser test hands to page.evaluate/$eval run in the page.
    files: ["test/browser/**/*.mjs"],
    languageOptions: { globals: { document: "readonly", sessionStorage: "readonly" } },
  },
  {
    files: ["public/console/mic-worklet.js"],
    languageOptions: {
      globals: { AudioWorkletProcessor: "readonly", registerProcessor: "readonly", sampleRate: "readonly" },
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Every promise is awaited or handed to waitUntil (see DEVELOPERS notes in the README).
      "no-async-promise-executor": "error",
    },
  },
);
