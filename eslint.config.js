import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules", ".wrangler", "worker-configuration.d.ts", "src/providers/local/vendor/**", "dist", "bench/out"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Every promise is awaited or handed to waitUntil (see DEVELOPERS notes in the README).
      "no-async-promise-executor": "error",
    },
  },
);
