// Worker versions and deployments, read from wrangler's JSON output (`versions list --json`,
// `deployments list --json`, `deployments status --json`), for scripts/rollout.mjs and scripts/rollback.mjs.
import { wranglerJson } from "./wrangler-run.mjs";

/** The uploaded versions, newest last: [{id, created, tag, message}]. */
export function listVersions(cfg) {
  return wranglerJson(["versions", "list", "--json", ...cfg])
    .map((v) => ({
      id: v.id,
      created: v.metadata?.created_on ?? "",
      tag: v.annotations?.["workers/tag"],
      message: v.annotations?.["workers/message"],
    }))
    .sort((a, b) => a.created.localeCompare(b.created));
}

/** A deployment as {id, created, versions: [{id, percentage}]}, largest share first. */
function deployment(d) {
  return {
    id: d.id,
    created: d.created_on ?? "",
    versions: (d.versions ?? [])
      .map((v) => ({ id: v.version_id, percentage: Number(v.percentage) }))
      .sort((a, b) => b.percentage - a.percentage),
  };
}

/** The deployment serving traffic now. */
export function currentDeployment(cfg) {
  return deployment(wranglerJson(["deployments", "status", "--json", ...cfg]));
}

/** The recent deployments, newest first. */
export function listDeployments(cfg) {
  return wranglerJson(["deployments", "list", "--json", ...cfg])
    .map(deployment)
    .sort((a, b) => b.created.localeCompare(a.created));
}

/** The version ids a deployment serves, as a comparable key. */
export const servedBy = (d) =>
  d.versions
    .map((v) => v.id)
    .sort()
    .join(",");
