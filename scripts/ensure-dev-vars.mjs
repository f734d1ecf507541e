// `npm run dev` needs local secrets (ADMIN_TOKEN); a fresh clone has only the example file.
// Copy it once so the two README commands are enough; an existing .dev.vars is never touched.
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (ADMIN_TOKEN=dev-admin-token-change-me)");
}
