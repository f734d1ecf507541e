// The machine, tool versions and Worker runtime a bench ran with, printed with its figures.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT, WORKER_RUNTIME, WRANGLER } from "./dev-server.mjs";

const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "not installed";
  }
};

function osName() {
  try {
    return (
      /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? `${platform()} ${release()}`
    );
  } catch {
    return `${platform()} ${release()}`;
  }
}

export function machineLines() {
  const cpu = cpus();
  let wrangler = pkgVersion("wrangler");
  try {
    wrangler = execFileSync(process.execPath, [WRANGLER, "--version"], {
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    })
      .trim()
      .split("\n")
      .pop();
  } catch {
    // keep the package version
  }
  return [
    `machine   ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} logical cores, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${osName()} (${platform()} ${release()} ${arch()}), ` +
      "load " +
      loadavg()
        .map((l) => l.toFixed(2))
        .join(" "),
    `versions  node ${process.version}, wrangler ${wrangler}, workerd ${pkgVersion("workerd")}, ` +
      `miniflare ${pkgVersion("miniflare")}, autocannon ${pkgVersion("autocannon")}`,
    `worker    ${WORKER_RUNTIME}`,
  ];
}
