// `npm run dev` needs local secrets (ADMIN_TOKEN, ARCHIVE_KEYS...); a fresh clone has only the
// example file. Copy it once so the two README commands are enough. An existing .dev.vars is never
// changed, but settings the example has and it lacks are named, since a checkout made before they
// existed would otherwise fail in ways that are hard to trace (archives retrying for want of a key).
import { copyFileSync, existsSync, readFileSync } from "node:fs";

const names = (file) =>
  new Set(
    readFileSync(file, "utf8")
      .split("\n")
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
      .filter(Boolean),
  );

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (ADMIN_TOKEN=dev-admin-token-change-me)");
} else {
  const have = names(".dev.vars");
  const missing = [...names(".dev.vars.example")].filter((n) => !have.has(n));
  if (missing.length) {
    console.warn(
      `.dev.vars lacks ${missing.join(", ")} that .dev.vars.example ` +
        "sets; copy those lines over (see the comments there).",
    );
  }
}
