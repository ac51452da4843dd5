// Draws bench/results/chart.svg from bench/results/latest.json (written by
// bench/run.ts, which calls this script at its end):
// - end to end: events per second of floor, calltrail, pino and LogTape, on
//   each runtime (the median of the rounds);
// - the hot path: nanoseconds per call of calltrail's onCall, pino's and
//   LogTape's logger.info, on each runtime.
// A hand-written SVG, no dependencies.
//
//   node bench/chart.ts [latest.json] [chart.svg]

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The part of latest.json the chart reads. */
interface ChartInput {
  date: string;
  quick: boolean;
  machine: { cpuCount: number; cpuModel: string };
  config: { e2eEvents: number; rounds: number; ladderRounds?: number };
  runtimes: Partial<
    Record<string, {
      label: string;
      version: string;
      e2e: { median: Partial<Record<string, number>> };
      hotPath:
        | { compare?: { calltrail: number; pino: number; logtape: number } }
        | { error: string };
    }>
  >;
}

interface Series {
  key: string;
  label: string;
  color: string;
}

const E2E_SERIES: Series[] = [
  {
    key: "floor",
    label: "floor (JSON.stringify + writeSync)",
    color: "#a0aec0",
  },
  { key: "calltrail", label: "calltrail (await sink.send)", color: "#2b6cb0" },
  { key: "pino", label: "pino 10", color: "#38a169" },
  { key: "logtape", label: "LogTape file sink", color: "#dd6b20" },
];

const HOT_SERIES: Series[] = [
  { key: "calltrail", label: "calltrail sink.onCall", color: "#2b6cb0" },
  { key: "pino", label: "pino logger.info", color: "#38a169" },
  { key: "logtape", label: "LogTape logger.info", color: "#dd6b20" },
];

const WIDTH = 960;
const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  ).replace(/"/g, "&quot;");
}

/** A round step for about `ticks` gridlines up to `max`. */
function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (raw <= m * power) return m * power;
  }
  return 10 * power;
}

function short(value: number, unit: "events" | "ns"): string {
  if (unit === "ns") {
    return value >= 1000
      ? `${(value / 1000).toFixed(value >= 100_000 ? 0 : 1)} µs`
      : `${value.toFixed(0)} ns`;
  }
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)}k`;
  return value.toFixed(0);
}

/**
 * One panel of grouped bars: a group per runtime, a bar per series, with
 * value labels, gridlines and an axis title. Returns SVG at offset `top`.
 */
function panel(
  top: number,
  height: number,
  title: string,
  axis: string,
  unit: "events" | "ns",
  groups: { label: string; values: (number | undefined)[] }[],
  series: Series[],
): string {
  const left = 90;
  const right = WIDTH - 30;
  const plotTop = top + 56;
  const plotBottom = top + height - 46;
  const plotHeight = plotBottom - plotTop;
  const values = groups.flatMap((g) =>
    g.values.filter((v): v is number => v !== undefined && Number.isFinite(v))
  );
  // Headroom above the tallest bar for its label.
  const top10 = Math.max(...values, 0) * 1.1;
  const step = niceStep(top10);
  const max = Math.max(step, Math.ceil(top10 / step) * step);
  const y = (v: number) => plotBottom - (v / max) * plotHeight;
  const out: string[] = [];
  out.push(
    `<text x="${left}" y="${
      top + 22
    }" font-size="16" font-weight="600" fill="#1a202c">${esc(title)}</text>`,
  );
  // Legend, on one line under the title.
  let lx = left;
  for (const s of series) {
    out.push(
      `<rect x="${lx}" y="${
        top + 33
      }" width="12" height="12" rx="2" fill="${s.color}"/>`,
      `<text x="${lx + 17}" y="${top + 43.5}" font-size="12" fill="#2d3748">${
        esc(s.label)
      }</text>`,
    );
    lx += 30 + s.label.length * 6.6;
  }
  // Gridlines and the value axis.
  for (let v = 0; v <= max + step / 2; v += step) {
    const gy = y(v).toFixed(1);
    out.push(
      `<line x1="${left}" y1="${gy}" x2="${right}" y2="${gy}" stroke="${
        v === 0 ? "#4a5568" : "#e2e8f0"
      }" stroke-width="1"/>`,
      `<text x="${left - 8}" y="${
        (y(v) + 4).toFixed(1)
      }" font-size="11" fill="#4a5568" text-anchor="end">${
        esc(short(v, unit))
      }</text>`,
    );
  }
  out.push(
    `<text transform="translate(${left - 62},${
      ((plotTop + plotBottom) / 2).toFixed(1)
    }) rotate(-90)" font-size="12" fill="#4a5568" text-anchor="middle">${
      esc(axis)
    }</text>`,
  );
  // Bars.
  const groupWidth = (right - left) / Math.max(groups.length, 1);
  const barWidth = Math.min(56, (groupWidth * 0.8) / series.length);
  groups.forEach((g, gi) => {
    const gx = left + gi * groupWidth +
      (groupWidth - barWidth * series.length) / 2;
    g.values.forEach((v, si) => {
      const x = gx + si * barWidth;
      const cx = (x + barWidth / 2).toFixed(1);
      if (v === undefined || !Number.isFinite(v)) {
        out.push(
          `<text x="${cx}" y="${
            plotBottom - 6
          }" font-size="11" fill="#c53030" text-anchor="middle">n/a</text>`,
        );
        return;
      }
      const h = Math.max(1, plotBottom - y(v));
      out.push(
        `<rect x="${(x + 3).toFixed(1)}" y="${
          (plotBottom - h).toFixed(1)
        }" width="${(barWidth - 6).toFixed(1)}" height="${
          h.toFixed(1)
        }" rx="2" fill="${series[si].color}"><title>${
          esc(`${g.label}, ${series[si].label}: ${short(v, unit)}`)
        }</title></rect>`,
        `<text x="${cx}" y="${
          (plotBottom - h - 5).toFixed(1)
        }" font-size="11" fill="#1a202c" text-anchor="middle">${
          esc(short(v, unit))
        }</text>`,
      );
    });
    out.push(
      `<text x="${(left + gi * groupWidth + groupWidth / 2).toFixed(1)}" y="${
        plotBottom + 20
      }" font-size="13" font-weight="600" fill="#2d3748" text-anchor="middle">${
        esc(g.label)
      }</text>`,
    );
  });
  return out.join("\n");
}

/** The whole chart, as an SVG document. */
function renderChart(input: ChartInput): string {
  const runtimes = Object.values(input.runtimes).filter((r) => r !== undefined);
  const groups = (
    pick: (
      r: NonNullable<ChartInput["runtimes"][string]>,
    ) => (number | undefined)[],
  ) =>
    runtimes.map((r) => ({
      label: `${r!.label} ${r!.version}`,
      values: pick(r!),
    }));
  const e2e = groups((r) => E2E_SERIES.map((s) => r.e2e.median[s.key]));
  const hot = groups((r) => {
    const c = "compare" in r.hotPath ? r.hotPath.compare : undefined;
    return HOT_SERIES.map((s) =>
      c === undefined ? undefined : c[s.key as keyof typeof c]
    );
  });
  const panelHeight = 330;
  const header = 70;
  const height = header + 2 * panelHeight + 30;
  const subtitle = `${
    input.date.slice(0, 16).replace("T", " ")
  } UTC · ${input.machine.cpuCount} × ${input.machine.cpuModel} · ${
    input.config.e2eEvents.toLocaleString("en-US")
  } events, median of ${input.config.rounds} round(s)${
    input.config.ladderRounds
      ? ` (floor and calltrail: ${
        input.config.rounds + input.config.ladderRounds
      })`
      : ""
  }${input.quick ? " · --quick smoke run: not a measurement" : ""}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="30" y="34" font-size="20" font-weight="700" fill="#1a202c">calltrail benchmarks</text>`,
    `<text x="30" y="56" font-size="12" fill="#4a5568">${esc(subtitle)}</text>`,
    panel(
      header,
      panelHeight,
      "End to end: events written to a file until close() resolves (higher is better)",
      "events per second",
      "events",
      e2e,
      E2E_SERIES,
    ),
    panel(
      header + panelHeight,
      panelHeight,
      "Hot path: cost of one call on the caller, serialization included (lower is better)",
      "time per call",
      "ns",
      hot,
      HOT_SERIES,
    ),
    `<text x="30" y="${
      height - 12
    }" font-size="11" fill="#718096">bench/run.ts · raw figures in bench/results/latest.json</text>`,
    `</svg>`,
    "",
  ].join("\n");
}

const here = fileURLToPath(new URL(".", import.meta.url));
const [
  input = join(here, "results", "latest.json"),
  output = join(
    here,
    "results",
    "chart.svg",
  ),
] = process.argv.slice(2);
writeFileSync(
  output,
  renderChart(JSON.parse(readFileSync(input, "utf8")) as ChartInput),
);
console.log(`chart: ${output}`);
