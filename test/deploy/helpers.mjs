// Running the deployment scripts in test/deploy/: each run gets a temporary copy of wrangler.toml (edited as the
// test needs), and wrangler replaced by fixtures/fake-wrangler.mjs playing an account kept in a JSON file.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { ROOT } from "../../scripts/lib/wrangler-config.mjs";

export { ROOT };
export const FAKE_WRANGLER = join(ROOT, "test", "deploy", "fixtures", "fake-wrangler.mjs");
const dirs = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A sandbox: a copy of wrangler.toml (`edit(text)` changes it), a fake account (`account`: its initial state)
 * and `run(script, args)` → {code, stdout, stderr, out (both), calls (the wrangler command lines it ran)}.
 */
export function sandbox({ edit = (t) => t, account = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "voice-edge-deploy-test-"));
  dirs.push(dir);
  const config = join(dir, "wrangler.toml");
  const state = join(dir, "account.json");
  const log = join(dir, "wrangler.log");
  writeFileSync(config, edit(readFileSync(join(ROOT, "wrangler.toml"), "utf8")));
  writeFileSync(state, JSON.stringify(account));
  const run = (script, args = [], { env = {} } = {}) => {
    rmSync(log, { force: true });
    const res = spawnSync(process.execPath, [join(ROOT, "scripts", script), ...args, "--config", config], {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        VOICE_EDGE_WRANGLER: FAKE_WRANGLER,
        FAKE_WRANGLER_STATE: state,
        FAKE_WRANGLER_LOG: log,
        ...env,
      },
      timeout: 60_000,
    });
    const calls = existsSync(log)
      ? readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l).join(" "))
      : [];
    return { code: res.status, stdout: res.stdout, stderr: res.stderr, out: res.stdout + res.stderr, calls };
  };
  return {
    dir,
    config,
    run,
    text: () => readFileSync(config, "utf8"),
    account: () => JSON.parse(readFileSync(state, "utf8")),
  };
}
