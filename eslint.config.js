import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules", ".wrangler", "worker-configuration.d.ts", "src/providers/local/vendor/**", "dist", "bench/out"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node scripts (dev helpers, vendor generator) run outside workerd.
    files: ["scripts/**/*.mjs", "bench/**/*.mjs", "src/providers/local/tools/**/*.mjs"],
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
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Every promise is awaited or handed to waitUntil (see DEVELOPERS notes in the README).
      "no-async-promise-executor": "error",
    },
  },
);
