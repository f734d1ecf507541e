// .github/workflows/deploy.yml can only be run on GitHub with a Cloudflare account; what can be checked here is
// that it calls what exists and keeps its order: CI, staging, then production behind its environment's approval.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../../scripts/lib/wrangler-config.mjs";

const workflow = readFileSync(join(ROOT, ".github", "workflows", "deploy.yml"), "utf8");
const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;

test("every npm script the pipeline runs exists", () => {
  const used = [...workflow.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
  assert.ok(used.length >= 5);
  for (const name of used) assert.ok(scripts[name], `package.json has no script ${name}`);
});

test("staging after CI, production after staging and behind the production environment, gradually", () => {
  assert.match(workflow, /^ {2}staging:\n(?: {4}.*\n)*? {4}needs: ci$/m);
  assert.match(workflow, /^ {2}production:\n(?: {4}.*\n)*? {4}needs: staging$/m);
  assert.match(workflow, /environment:\n\s+name: production/);
  assert.match(workflow, /uses: cloudflare\/wrangler-action@v\d/);
  const order = [
    "d1 migrations apply DB --remote --env production",
    "versions upload --env production",
    "--env production --tag ${{ github.sha }} --percent 10",
    "--env production --tag ${{ github.sha }} --percent 100",
  ].map((s) => workflow.indexOf(s));
  assert.ok(
    order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1])),
    "migrations, upload, 10 %, 100 %, in that order",
  );
  // Rolling back is only for a version that took traffic.
  assert.match(
    workflow,
    /if: \$\{\{ failure\(\) && steps\.gradual\.outcome == 'success' \}\}\n\s+run: npm run rollback/,
  );
});
