// Internal: the page `calltrail report` writes: one self-contained HTML file
// with inline CSS and SVG, no script, and a Content-Security-Policy that
// lets it load nothing at all. Its numbers are the TrailStats of `stats`,
// also embedded as JSON (the `stats --json` object) for machines.

import { sorted, type TrailStats } from "./_trail_stats.ts";
import { type Bar, KINDS } from "./_timeline.ts";
import {
  compact,
  escape,
  latencyChart,
  rankedChart,
  timeChart,
} from "./_svg_charts.ts";

/** Tools, callers and capabilities drawn, at most (the most frequent). */
const TOP = 15;

const KIND_LABELS: Record<string, string> = {
  success: "success",
  invalid_args: "invalid args",
  rate_limited: "rate limited",
  tool_not_found: "tool not found",
  execution_failed: "execution failed",
  capability_denied: "capability denied",
};

const CSS = `
:root { --bg:#f7f7f4; --card:#fff; --ink:#1d2330; --muted:#6b7280; --grid:#e5e7eb;
  --success:#2f9e66; --invalid_args:#e3a008; --rate_limited:#3b82c4; --tool_not_found:#9ca3af;
  --execution_failed:#dc4b4b; --capability_denied:#8b5cf6; --caller:#0f766e;
  --p50:#1e3a8a; --p95:#3b82f6; --p99:#bfdbfe; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --bg:#111418; --card:#1a1f26; --ink:#e5e7eb;
  --muted:#9ca3af; --grid:#2a313b; --p50:#93c5fd; --p95:#3b82f6; --p99:#1e3a8a; } }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width:1040px; margin:0 auto; padding:28px 20px 40px; }
h1 { font-size:26px; margin:0 0 4px; } h2 { font-size:18px; margin:0 0 12px; }
.sub, .note { color:var(--muted); } .note { font-size:13px; margin:8px 0 0; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(118px, 1fr)); gap:12px; margin:22px 0; }
.card, section { background:var(--card); border-radius:10px; box-shadow:0 1px 3px rgb(0 0 0 / .08); }
.card { padding:14px 16px; } .card b { display:block; font-size:24px; } .card span { color:var(--muted); font-size:13px; }
section { padding:18px 20px; margin:0 0 16px; }
.pair { display:grid; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); gap:16px; }
.pair section { margin:0; }
.legend { display:flex; flex-wrap:wrap; gap:6px 16px; margin:0 0 10px; font-size:13px; }
.legend i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
.chart { width:100%; height:auto; display:block; }
.chart .grid { stroke:var(--grid); } .chart .axis, .chart .value { fill:var(--muted); }
.chart .label { fill:var(--ink); } .chart .max { stroke:var(--ink); stroke-width:2; }
.chart .max-off { fill:var(--ink); } .chart .mark:hover { opacity:.8; }
${
  KINDS.map((k) =>
    `.k-${k} { fill:var(--${k}); } .legend .k-${k} { background:var(--${k}); }`
  ).join("\n")
}
.k-caller { fill:var(--caller); } .p50 { fill:var(--p50); } .p95 { fill:var(--p95); } .p99 { fill:var(--p99); }
.legend .p50 { background:var(--p50); } .legend .p95 { background:var(--p95); } .legend .p99 { background:var(--p99); }
.legend .max { width:2px; background:var(--ink); }
.empty { color:var(--muted); font-style:italic; margin:0; }
footer { color:var(--muted); font-size:13px; margin-top:24px; }
`;

/** What the page shows. */
export interface ReportInput {
  files: string[];
  stats: TrailStats;
  bars: Bar[];
  /** When the report was made (RFC 3339). */
  generated: string;
}

/** The whole page. */
export function reportHtml(input: ReportInput): string {
  const { stats } = input;
  const json = JSON.stringify(stats.toJSON()).replace(/</g, "\\u003c");
  const body = stats.calls === 0
    ? `<section><p class="empty">No calls in ${
      input.files.length === 1 ? "this file" : "these files"
    }.</p></section>`
    : [
      cards(stats),
      timeSection(stats, input.bars),
      latencySection(stats),
      pairSection(stats),
    ]
      .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>calltrail report: ${escape(input.files.join(", "))}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Audit trail report</h1>
<p class="sub">${escape(input.files.join(", "))}${
    stats.firstTs === null
      ? ""
      : ` · ${escape(stats.firstTs)} to ${escape(stats.lastTs!)}`
  }</p>
${body}
<footer>Made by <code>calltrail report</code> at ${
    escape(input.generated)
  }, from the same numbers as <code>calltrail stats</code>. Latency percentiles are nearest-rank.
This page loads nothing from the network; hover over a mark for its figures.</footer>
</main>
<script type="application/json" id="calltrail-stats">${json}</script>
</body>
</html>
`;
}

function card(value: string, label: string): string {
  return `<div class="card"><b>${escape(value)}</b><span>${
    escape(label)
  }</span></div>`;
}

function cards(stats: TrailStats): string {
  const success = stats.byOutcome.get("success") ?? 0;
  const denials = stats.byOutcome.get("capability_denied") ?? 0;
  const rate = ((100 * success) / stats.calls).toFixed(1);
  return `<div class="cards">${
    [
      card(stats.calls.toLocaleString("en-US"), "calls"),
      card(`${rate}%`, "succeeded"),
      card((stats.calls - success).toLocaleString("en-US"), "did not succeed"),
      card(denials.toLocaleString("en-US"), "denied a capability"),
      card(String(stats.tools().length), "tools"),
      card(String(stats.byCaller.size), "callers"),
      card(
        `${stats.invalidLines.toLocaleString("en-US")} / ${
          stats.tornLines.toLocaleString("en-US")
        }`,
        "invalid / torn lines",
      ),
    ].join("")
  }</div>`;
}

function timeSection(stats: TrailStats, bars: Bar[]): string {
  const legend = KINDS.filter((k) => stats.byOutcome.has(k)).map((k) =>
    `<span><i class="k-${k}"></i>${KIND_LABELS[k]} ${
      compact(stats.byOutcome.get(k)!)
    }</span>`
  ).join("");
  const width = bars.length === 0 ? 0 : bars[0].width / 1000;
  return `<section id="over-time"><h2>Calls over time, by outcome</h2>
<div class="legend">${legend}</div>
${timeChart(bars)}
<p class="note">${bars.length} bars of ${
    width >= 3600
      ? `${width / 3600} h`
      : width >= 60
      ? `${width / 60} min`
      : `${width} s`
  } each.</p></section>`;
}

function latencySection(stats: TrailStats): string {
  const tools = stats.tools();
  const shown = tools.slice(0, TOP);
  return `<section id="latency"><h2>Latency per tool</h2>
<div class="legend"><span><i class="p50"></i>p50</span><span><i class="p95"></i>p95</span><span><i class="p99"></i>p99</span><span><i class="max"></i>max</span></div>
${latencyChart(shown)}
<p class="note">duration_ms, nearest-rank percentiles${
    tools.length > shown.length
      ? `; the ${shown.length} most called of ${tools.length} tools`
      : ""
  }. ▸: the max is off the scale.</p></section>`;
}

function pairSection(stats: TrailStats): string {
  const ranked = (counts: Map<string, number>) =>
    sorted(counts).slice(0, TOP).map(([label, value]) => ({ label, value }));
  const denied = stats.denied.size === 0
    ? `<p class="empty">No call was denied a capability.</p>`
    : rankedChart(ranked(stats.denied), "capability_denied", "denials");
  const callers = stats.byCaller.size === 0
    ? `<p class="empty">No event names its caller.</p>`
    : rankedChart(ranked(stats.byCaller), "caller", "calls");
  const more = (n: number, what: string) =>
    n > TOP
      ? `<p class="note">The ${TOP} most frequent of ${n} ${what}.</p>`
      : "";
  return `<div class="pair">
<section id="denials"><h2>Denials by capability</h2>${denied}${
    more(stats.denied.size, "capabilities")
  }</section>
<section id="callers"><h2>Top callers</h2>${callers}${
    more(stats.byCaller.size, "callers")
  }</section>
</div>`;
}
