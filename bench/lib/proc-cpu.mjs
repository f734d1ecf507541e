// CPU time of a process and all its descendants, from Linux's /proc (utime + stime, in seconds):
// what a local Worker (wrangler's Node process, workerd, esbuild) spent, to divide by the
// requests it answered. null where /proc is not there (macOS): the benches then print no CPU figures.
import { existsSync, readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the benches run on

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses): state ppid ... utime(12) stime(13)
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** Seconds of CPU used so far by `pid` and its descendants (processes that already exited are not counted). */
export function treeCpuSeconds(pid) {
  if (!pid || !existsSync("/proc/self/stat")) return null;
  const parents = new Map();
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    const s = stat(p);
    if (s) parents.set(Number(p), s);
  }
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    total += parents.get(p)?.seconds ?? 0;
    for (const [child, s] of parents) if (s.ppid === p) todo.push(child);
  }
  return total;
}
