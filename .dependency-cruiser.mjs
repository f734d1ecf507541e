/**
 * The layering rule of src/, checked by `npm run lint:layers` (CI runs it).
 *
 * Imports point down only, type-only imports included:
 *
 *   src/index.ts      the Worker's entry: wires the app, the Durable Object classes, cron
 *   http/             the Hono app, middleware, routes
 *   durable/          Durable Object classes: entry points only (RPC, fetch, sockets, alarm)
 *   pipeline/         the turn, stage by stage (turn.ts); the live stream; the call's lifecycle
 *   providers/ routing/ nlp/ agents/ audio/ stream/ telephony/ events/
 *                     speech providers and how one is chosen, understanding, audio and wire codecs,
 *                     events to customers' backends
 *   storage/ security/ observability/
 *   call/ config/     the call's records (dependency-free) and the settings schema
 *   lib/              dependency-free helpers
 *
 * Inside a layer, siblings import in one direction only (listed in the rules below), and there
 * are no import cycles anywhere in src/. Tests may import anything.
 */
/** Test code beside the source: test files, and the helpers only tests import. */
const TEST = [
  "\\.test\\.ts$",
  "/test-support\\.ts$",
  "/test-signals\\.ts$",
  "/resilience-harness\\.ts$",
  "/adapter-contract(-http)?\\.ts$",
].join("|");
const L3 = "^src/(providers|routing|nlp|agents|audio|stream|telephony|events)/";
const L4 = "^src/(storage|security|observability)/";
const MODEL = "^src/(call|config)/";

/** A rule forbidding `from` (non-test files) to import any of `to`. */
const forbid = (name, comment, from, to) => ({
  name,
  comment,
  severity: "error",
  from: { path: from, pathNot: TEST },
  to: { path: to, pathNot: TEST },
});

export default {
  forbidden: [
    {
      name: "no-cycles",
      comment: "An import cycle in src/ (type-only imports count).",
      severity: "error",
      from: { path: "^src/", pathNot: TEST },
      to: { circular: true, pathNot: TEST },
    },
    forbid("entry-is-top", "Nothing imports the Worker's entry.", "^src/", "^src/index\\.ts$"),
    forbid("durable-below-http", "Durable Objects do not import the HTTP layer.", "^src/durable/", "^src/http/"),
    forbid(
      "pipeline-below-durable",
      "The pipeline does not import objects or HTTP.",
      "^src/pipeline/",
      "^src/(http|durable)/",
    ),
    forbid(
      "domain-below-pipeline",
      "Providers, routing, nlp, agents, audio, stream, telephony and events stay below the pipeline.",
      L3,
      "^src/(http|durable|pipeline)/",
    ),
    forbid(
      "infra-below-domain",
      "Storage, security and observability import no layer above them.",
      L4,
      `^src/(http|durable|pipeline|providers|routing|nlp|agents|audio|stream|telephony|events)/`,
    ),
    forbid(
      "model-is-bottom",
      "The call model and config import only each other's lower part and lib/.",
      MODEL,
      "^src/(?!call/|config/|lib/)",
    ),
    forbid("config-above-call", "call/ does not import config/.", "^src/call/", "^src/config/"),
    forbid("lib-is-leaf", "lib/ imports nothing else of src/.", "^src/lib/", "^src/(?!lib/)"),
    // Siblings of the domain layer, one direction each: routing → providers → audio; stream → audio;
    // telephony → stream, audio; agents → routing, providers, nlp; nlp and audio import no sibling.
    forbid(
      "audio-is-domain-leaf",
      "audio/ imports no other domain folder.",
      "^src/audio/",
      "^src/(providers|routing|nlp|agents|stream|telephony)/",
    ),
    forbid(
      "nlp-is-domain-leaf",
      "nlp/ imports no other domain folder.",
      "^src/nlp/",
      "^src/(providers|routing|agents|audio|stream|telephony)/",
    ),
    forbid(
      "providers-below-routing",
      "providers/ imports audio/ only among its siblings.",
      "^src/providers/",
      "^src/(routing|nlp|agents|stream|telephony)/",
    ),
    forbid(
      "routing-siblings",
      "routing/ imports providers/ and audio/ only among its siblings.",
      "^src/routing/",
      "^src/(nlp|agents|stream|telephony)/",
    ),
    forbid(
      "stream-siblings",
      "stream/ imports audio/ only among its siblings.",
      "^src/stream/",
      "^src/(providers|routing|nlp|agents|telephony)/",
    ),
    forbid(
      "telephony-siblings",
      "telephony/ imports stream/ and audio/ only among its siblings.",
      "^src/telephony/",
      "^src/(providers|routing|nlp|agents)/",
    ),
    forbid(
      "agents-siblings",
      "agents/ does not import stream/ or telephony/.",
      "^src/agents/",
      "^src/(stream|telephony)/",
    ),
    forbid(
      "events-siblings",
      "events/ imports agents/ only among its siblings (the rules for outbound URLs).",
      "^src/events/",
      "^src/(providers|routing|nlp|audio|stream|telephony)/",
    ),
    forbid(
      "events-is-imported-from-above",
      "Domain folders do not import events/ (the pipeline and the HTTP layer do).",
      "^src/(providers|routing|nlp|agents|audio|stream|telephony)/",
      "^src/events/",
    ),
    // Infrastructure siblings: storage → security → observability.
    forbid(
      "observability-is-infra-leaf",
      "observability/ imports neither storage/ nor security/.",
      "^src/observability/",
      "^src/(storage|security)/",
    ),
    forbid("security-below-storage", "security/ does not import storage/.", "^src/security/", "^src/storage/"),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "src/providers/local/vendor/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};
