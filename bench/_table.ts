// The benchmark's readable report: a table of the targets per runtime (with
// the baseline's figure beside each, when the run compares one), then the
// end-to-end medians and the figures behind each target.

import type { E2eConfig } from "./_e2e_rounds.ts";
import type { Runtime } from "./_runtimes.ts";
import { fmtInt, type RuntimeResults, type Target } from "./_targets.ts";

const MB = 1024 * 1024;

function fmtValue(t: Target): string {
  if (t.value === null) return "-";
  if (t.id === "4") return (t.value / MB).toFixed(2);
  return t.value >= 10 ? t.value.toFixed(1) : t.value.toFixed(2);
}

function fmtLimit(t: Target): string {
  const limit = t.id === "4" ? (t.limit / MB).toFixed(2) : String(t.limit);
  return `${t.op} ${limit}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** The report of a run over `runtimes`. */
export function table(
  runtimes: readonly Runtime[],
  results: Partial<Record<Runtime["id"], RuntimeResults>>,
  targets: Target[],
  config: E2eConfig,
): string {
  const ids = runtimes.filter((rt) => results[rt.id] !== undefined);
  const compared = targets.some((t) => t.version === "before");
  const width = compared ? 28 : 18;
  const names = [...new Set(targets.map((t) => `${t.id}|${t.name}`))];
  const head = [
    pad("target", 36),
    pad("need", 8),
    ...ids.map((rt) => pad(`${rt.label} ${results[rt.id]!.version}`, width)),
  ].join(" ");
  const lines = [head, "-".repeat(head.length)];
  for (const key of names) {
    const [id, name] = key.split("|");
    const row = targets.filter((t) => t.id === id);
    lines.push([
      pad(`${id}. ${name}`, 36),
      pad(fmtLimit(row[0]), 8),
      ...ids.map((rt) => {
        const find = (version: Target["version"]) =>
          row.find((x) => x.runtime === rt.id && x.version === version);
        const now = find("");
        const before = find("before");
        const cell = now === undefined
          ? "-"
          : `${fmtValue(now)} ${now.verdict}`;
        return pad(
          before === undefined ? cell : `${cell} (before ${fmtValue(before)})`,
          width,
        );
      }),
    ].join(" "));
  }
  lines.push("");
  const all = [
    ...new Set([...config.writers, ...config.ladder].map((w) => w.key)),
  ];
  for (const rt of ids) {
    const r = results[rt.id]!;
    lines.push(`${rt.label} ${r.version}`);
    const m = r.e2e.median;
    const spread = r.e2e.spread;
    lines.push(
      `  e2e events/s (median of ${r.e2e.rounds} rounds, ${config.ladderRounds} more for ${
        config.ladder.map((w) => w.key).join(", ")
      }; ${fmtInt(r.e2e.events)} events; spread max-min): ${
        all.map((w) =>
          `${w} ${m[w] === undefined ? "ERROR" : fmtInt(m[w]!)} (${
            spread[w] === undefined ? "-" : `${(spread[w]! * 100).toFixed(0)}%`
          })`
        ).join(", ")
      }`,
    );
    const floor = m.floor;
    if (floor !== undefined) {
      lines.push(
        `  1c, from the floor to calltrail (ratio to the floor): ${
          config.ladder.slice(1).map(({ key }) =>
            `${key} ${
              m[key] === undefined ? "ERROR" : (m[key]! / floor).toFixed(2)
            }`
          ).join(", ")
        }`,
      );
    }
    for (const t of targets.filter((x) => x.runtime === rt.id)) {
      if (t.id.startsWith("1")) continue;
      const which = t.version === "before" ? " (before)" : "";
      lines.push(`  ${t.name}${which}: ${t.figures}`);
    }
  }
  return lines.join("\n");
}
