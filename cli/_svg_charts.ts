// Internal: the report's charts, drawn as inline SVG strings (no script, no
// network): stacked bars over time, latency ranges per tool, and ranked
// horizontal bars. Every mark has a <title>, which browsers show on hover.

import type { ToolStats } from "./_trail_stats.ts";
import { type Bar, KINDS } from "./_timeline.ts";

const WIDTH = 960;
const FONT = 12;

/** Text made safe inside SVG and HTML. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A count in few characters: 950, 9.5k, 1.2M. */
export function compact(n: number): string {
  if (n < 1000) return String(n);
  const [unit, size] = n < 1e6 ? ["k", 1e3] : n < 1e9 ? ["M", 1e6] : ["G", 1e9];
  const value = n / size;
  return `${
    value < 10 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)
  }${unit}`;
}

/** Ticks from 0 to at least `max`, at a round step (1, 2 or 5 times 10^k). */
export function ticks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const out: number[] = [];
  for (let t = 0; t < max + step; t += step) out.push(t);
  return out;
}

/** A label cut to `length` characters, with an ellipsis. */
function cut(text: string, length: number): string {
  const chars = [...text];
  return chars.length <= length
    ? text
    : `${chars.slice(0, length - 1).join("")}…`;
}

function svg(
  height: number,
  label: string,
  body: string,
  width = WIDTH,
): string {
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${
    escape(label)
  }" font-size="${FONT}">${body}</svg>`;
}

/** A UTC time as the axis shows it, for a span of `span` ms. */
function timeLabel(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  if (span <= 36 * 3600_000) return iso.slice(11, 16);
  if (span <= 400 * 86400_000) return iso.slice(5, 10);
  return iso.slice(0, 7);
}

/** Calls over time, stacked by outcome kind. */
export function timeChart(bars: Bar[]): string {
  const height = 300;
  const left = 56, right = 12, top = 12, bottom = 36;
  const plotW = WIDTH - left - right, plotH = height - top - bottom;
  const totals = bars.map((b) => b.counts.reduce((a, n) => a + n, 0));
  const axis = ticks(Math.max(1, ...totals));
  const yMax = axis.at(-1)!;
  const y = (n: number) => top + plotH - (n / yMax) * plotH;
  const parts: string[] = [];
  for (const t of axis) {
    parts.push(
      `<line class="grid" x1="${left}" x2="${WIDTH - right}" y1="${y(t)}" y2="${
        y(t)
      }"/>`,
      `<text class="axis" x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${
        compact(t)
      }</text>`,
    );
  }
  const slot = plotW / Math.max(1, bars.length);
  const span = bars.length === 0 ? 0 : bars.length * bars[0].width;
  bars.forEach((bar, i) => {
    const x = left + i * slot + slot * 0.08;
    const w = Math.max(1, slot * 0.84);
    const when = `${new Date(bar.start).toISOString().slice(0, 19)}Z, ${
      compact(Math.round(bar.width / 1000))
    } s`;
    let base = 0;
    KINDS.forEach((kind, k) => {
      const n = bar.counts[k];
      if (n === 0) return;
      parts.push(
        `<rect class="mark k-${kind}" x="${x.toFixed(1)}" y="${
          y(base + n).toFixed(1)
        }" width="${w.toFixed(1)}" height="${
          (y(base) - y(base + n)).toFixed(1)
        }"><title>${when}: ${n.toLocaleString("en-US")} ${kind}</title></rect>`,
      );
      base += n;
    });
  });
  const labels = Math.min(bars.length, 8);
  for (let l = 0; l < labels; l++) {
    const i = Math.round((l * (bars.length - 1)) / Math.max(1, labels - 1));
    const x = left + i * slot + slot / 2;
    parts.push(
      `<text class="axis" x="${x.toFixed(1)}" y="${
        height - bottom + 18
      }" text-anchor="middle">${timeLabel(bars[i].start, span)}</text>`,
    );
  }
  parts.push(
    `<text class="axis" x="${WIDTH - right}" y="${
      height - 4
    }" text-anchor="end">UTC</text>`,
  );
  return svg(height, "Calls over time, stacked by outcome", parts.join(""));
}

/** A row of a ranked bar chart. */
export interface Ranked {
  label: string;
  value: number;
}

/** Horizontal bars, largest first, half the page wide; `kind` picks the colour. */
export function rankedChart(
  rows: Ranked[],
  kind: string,
  what: string,
): string {
  const width = WIDTH / 2;
  const row = 24;
  const left = 160, right = 44, top = 4;
  const height = top * 2 + row * rows.length;
  const plotW = width - left - right;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const parts = rows.map((r, i) => {
    const y = top + i * row;
    const w = Math.max(2, (r.value / max) * plotW);
    return `<g><title>${escape(r.label)}: ${
      r.value.toLocaleString("en-US")
    } ${what}</title>` +
      `<text class="label" x="${left - 8}" y="${y + 16}" text-anchor="end">${
        escape(cut(r.label, 22))
      }</text>` +
      `<rect class="mark k-${kind}" x="${left}" y="${y + 4}" width="${
        w.toFixed(1)
      }" height="${row - 8}" rx="3"/>` +
      `<text class="value" x="${left + w + 6}" y="${y + 16}">${
        compact(r.value)
      }</text></g>`;
  });
  return svg(height, `${what} per ${kind}`, parts.join(""), width);
}

/**
 * Latency per tool: for each, a bar to p99, a darker one to p95 and the
 * darkest to p50, a tick at max when it is on the scale, and the figures.
 */
export function latencyChart(tools: [string, ToolStats][]): string {
  const row = 30;
  const left = 250, right = 250, top = 24;
  const height = top + row * tools.length + 8;
  const plotW = WIDTH - left - right;
  const axis = ticks(Math.max(1, ...tools.map(([, t]) => t.p99_ms)));
  const xMax = axis.at(-1)!;
  const x = (ms: number) => left + (Math.min(ms, xMax) / xMax) * plotW;
  const parts: string[] = [];
  for (const t of axis) {
    parts.push(
      `<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${top - 6}" y2="${
        height - 8
      }"/>`,
      `<text class="axis" x="${x(t)}" y="${top - 10}" text-anchor="middle">${
        compact(t)
      } ms</text>`,
    );
  }
  tools.forEach(([id, t], i) => {
    const y = top + i * row;
    const bar = (ms: number, cls: string) =>
      `<rect class="mark ${cls}" x="${left}" y="${y + 6}" width="${
        Math.max(2, x(ms) - left).toFixed(1)
      }" height="${row - 12}" rx="2"/>`;
    const maxTick = t.max_ms <= xMax
      ? `<line class="max" x1="${x(t.max_ms)}" x2="${x(t.max_ms)}" y1="${
        y + 3
      }" y2="${y + row - 3}"/>`
      : `<text class="max-off" x="${left + plotW + 4}" y="${y + 19}">▸</text>`;
    parts.push(
      `<g><title>${escape(id)}: ${
        t.calls.toLocaleString("en-US")
      } calls; p50 ${t.p50_ms} ms, p95 ${t.p95_ms} ms, p99 ${t.p99_ms} ms, max ${t.max_ms} ms</title>` +
        `<text class="label" x="${left - 8}" y="${y + 19}" text-anchor="end">${
          escape(cut(id, 36))
        }</text>` +
        bar(t.p99_ms, "p99") + bar(t.p95_ms, "p95") + bar(t.p50_ms, "p50") +
        maxTick +
        `<text class="value" x="${left + plotW + 18}" y="${
          y + 19
        }">${t.p50_ms} · ${t.p95_ms} · ${t.p99_ms} · max ${t.max_ms} ms</text></g>`,
    );
  });
  return svg(height, "Latency per tool: p50, p95, p99 and max", parts.join(""));
}
