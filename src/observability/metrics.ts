/**
 * Prometheus text exposition (format 0.0.4).
 *
 * Written by hand: prom-client (and @hono/prometheus, which wraps it) needs Node's process and
 * perf_hooks, and @opentelemetry/exporter-prometheus serves its own Node HTTP server; none of them
 * can render counters and histograms summed from the MetricsShard objects. What is needed here is
 * small: series keys, exposition lines, and gauges read when scraped.
 *
 * Almost every series is global (metrics-global.ts): a Worker runs in many isolates and a call's
 * Durable Object in yet another, so anything counted in memory would show a scrape only the one
 * isolate it reached. Only the circuit-breaker gauges are per isolate, because breakers are learned
 * per isolate (src/routing/breaker-metrics.ts); their HELP text says so.
 */

export type Labels = Readonly<Record<string, string>>;

/** Voice latency buckets, ms: 10 ms (a cache hit, a keypad turn) to 10 s (a stalled provider). */
export const LATENCY_BUCKETS_MS: readonly number[] = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** `{a="1",b="2"}` with labels in a stable order, or "" for none. */
export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (!keys.length) return "";
  return `{${keys
    .map((k) => {
      if (!LABEL_NAME.test(k)) throw new Error(`invalid label name ${k}`);
      return `${k}="${escapeLabelValue(String(labels[k]))}"`;
    })
    .join(",")}}`;
}

/** The series identity: name plus labels, exactly as it is written on an exposition line. */
export function seriesKey(name: string, labels: Labels = {}): string {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${name}`);
  return `${name}${formatLabels(labels)}`;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

export type MetricType = "counter" | "gauge" | "histogram";

/** One family: its HELP and TYPE lines, then its samples (`name{labels} value`). */
export function renderFamily(
  name: string,
  type: MetricType,
  help: string,
  samples: readonly (readonly [series: string, value: number])[],
): string {
  const lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];
  for (const [series, value] of samples) lines.push(`${series} ${formatValue(value)}`);
  return lines.join("\n") + "\n";
}

interface Family {
  readonly name: string;
  render(): string;
}

/** A gauge computed when scraped (from state kept elsewhere, such as the health registry). */
export class CollectedGauge implements Family {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect: () => readonly (readonly [Labels, number])[],
  ) {
    seriesKey(name);
  }

  render(): string {
    return renderFamily(
      this.name,
      "gauge",
      this.help,
      this.collect().map(([labels, v]) => [seriesKey(this.name, labels), v] as const),
    );
  }
}

export class Registry {
  private readonly families: Family[] = [];

  register<F extends Family>(family: F): F {
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.push(family);
    return family;
  }

  render(): string {
    return this.families.map((f) => f.render()).join("");
  }
}
