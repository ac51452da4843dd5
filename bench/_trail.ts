// A realistic audit trail, made up but repeatable: a tool host's six hours
// of calls, with a busy hour and a quiet one, tools of different speeds,
// a few callers that make most calls, and an incident (a permission change
// that denies capabilities, then a backend that fails). The reader and CLI
// tests, the report's screenshot and the stats benchmark use it.

import type { CallEvent, Outcome } from "../mod.ts";

/** Tools, each with its typical duration (ms) and spread. */
const TOOLS: { id: string; ms: number; spread: number; needs: string }[] = [
  { id: "ref:fs.read", ms: 4, spread: 0.6, needs: "fs.read" },
  { id: "ref:fs.write", ms: 9, spread: 0.7, needs: "fs.write" },
  { id: "ref:http.fetch", ms: 180, spread: 0.9, needs: "net.fetch" },
  { id: "ref:search.web", ms: 420, spread: 0.5, needs: "net.fetch" },
  { id: "ref:db.query", ms: 35, spread: 1.1, needs: "db.read" },
  { id: "ref:db.update", ms: 60, spread: 0.8, needs: "db.write" },
  { id: "ref:shell.exec", ms: 900, spread: 0.6, needs: "shell.exec" },
  { id: "ref:mail.send", ms: 240, spread: 0.4, needs: "mail.send" },
  { id: "ref:calendar.list", ms: 70, spread: 0.5, needs: "calendar.read" },
  { id: "ref:echo.say", ms: 1, spread: 0.3, needs: "echo" },
];
const CALLERS = Array.from(
  { length: 40 },
  (_, i) => `agent-${((i + 1) * 2654435761 >>> 0).toString(16).slice(0, 6)}`,
);
const START = Date.parse("2026-05-29T06:00:00.000Z");
const SPAN_MS = 6 * 3600_000;

/** A small, fast, seeded pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How busy the host is at `f` (0 to 1 through the span): a busy and a quiet hour. */
function load(f: number): number {
  return 1 + 0.8 * Math.exp(-(((f - 0.35) / 0.08) ** 2)) -
    0.6 * Math.exp(-(((f - 0.75) / 0.06) ** 2));
}

/** The mean of 1 / load over the span, so that the times fill it. */
const SLOWNESS =
  Array.from({ length: 1000 }, (_, i) => 1 / load((i + 0.5) / 1000))
    .reduce((a, b) => a + b) / 1000;

/**
 * `count` events in time order, the same ones for the same `seed`. Every
 * 1000th carries a `capability_provenance`, every 7th a `cursor_page`.
 */
export function* trailEvents(count: number, seed = 1): Generator<CallEvent> {
  const next = random(seed);
  // Times: spread by the load curve over the span.
  let f = 0;
  const step = 1 / (count * SLOWNESS);
  for (let i = 0; i < count; i++) {
    f += step * (2 * next()) / load(f);
    const fraction = Math.min(f, 0.999999);
    const ms = START + Math.floor(fraction * SPAN_MS);
    const tool = TOOLS[Math.floor(next() ** 1.6 * TOOLS.length)];
    const caller = CALLERS[Math.floor(next() ** 2.5 * CALLERS.length)];
    const incident = fraction > 0.55 && fraction < 0.62;
    const failing = fraction > 0.62 && fraction < 0.66 &&
      tool.id === "ref:http.fetch";
    const r = next();
    let outcome: Outcome;
    if (incident && r < 0.35) {
      outcome = {
        kind: "capability_denied",
        missing: r < 0.1 ? [tool.needs, "audit.write"].sort() : [tool.needs],
      };
    } else if (failing && r < 0.6) {
      outcome = {
        kind: "execution_failed",
        code: "UPSTREAM_TIMEOUT",
        retryable: true,
      };
    } else if (r < 0.012) {
      outcome = {
        kind: "rate_limited",
        retry_after_ms: r < 0.006 ? 250 : null,
      };
    } else if (r < 0.02) {
      outcome = { kind: "invalid_args", message: "missing required field" };
    } else if (r < 0.026) {
      outcome = {
        kind: "execution_failed",
        code: "FS_NOT_FOUND",
        retryable: false,
      };
    } else if (r < 0.029) {
      outcome = { kind: "tool_not_found" };
    } else if (r < 0.034) {
      outcome = { kind: "capability_denied", missing: [tool.needs] };
    } else {
      outcome = { kind: "success" };
    }
    // A log-normal duration around the tool's typical one.
    const normal = Math.sqrt(-2 * Math.log(next() || 1e-9)) *
      Math.cos(2 * Math.PI * next());
    const duration = Math.floor(tool.ms * Math.exp(tool.spread * normal));
    const event: CallEvent = {
      ts: new Date(ms).toISOString(),
      call_id: `01J${i.toString(32).toUpperCase().padStart(23, "0")}`,
      tool_id: tool.id,
      caller_id: caller,
      granted_capabilities: [tool.needs, "echo"].sort(),
      duration_ms: duration,
      outcome,
      tier: tool.ms > 100 ? "cold" : "warm",
      dry_run: i % 97 === 0,
      schema_version: 3,
      secrets_resolved: tool.id === "ref:mail.send",
    };
    if (i % 7 === 0) event.cursor_page = 1 + (i % 3);
    if (i % 1000 === 0) {
      event.capability_provenance = [{
        cap: tool.needs,
        source: { kind: "string_allow_list" },
      }];
    }
    yield event;
  }
}
