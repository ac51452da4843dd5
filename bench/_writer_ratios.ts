// What bench/chain.ts and bench/rotate.ts share: a writer of bench/e2e.ts
// against variants of it, each run in a fresh child process, interleaved
// (bench/_e2e_rounds.ts), on Node, Bun and Deno; the ratio of each variant's
// median to the writer's, against a target. Prints a table, then one JSON
// line with every figure.
//
//   node bench/<script>.ts [--rounds N] [--events N]

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { isFailure, runChild } from "./_child.ts";
import { e2eRounds, type E2eSummary } from "./_e2e_rounds.ts";
import { median } from "./_median.ts";
import { runtimes } from "./_runtimes.ts";

/** What to compare. */
export interface WriterRatios {
  /** The table's first line. */
  title: string;
  /** The writer the others are compared with, and its column's name. */
  base: [writer: string, column: string];
  /** The variants, and their columns' names. */
  variants: [writer: string, column: string][];
  /** The least ratio that passes. */
  target: number;
}

/** Runs the comparison and prints it. */
export async function writerRatios(
  { title, base, variants, target }: WriterRatios,
): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "11" },
      events: { type: "string", default: "200000" },
    },
  });
  const rounds = Number(values.rounds);
  const events = Number(values.events);
  const root = fileURLToPath(new URL("..", import.meta.url));
  const writers = [base[0], ...variants.map(([writer]) => writer)];
  const rows = [];
  for (const rt of runtimes(join(root, "node_modules", ".bin"))) {
    const summary = await e2eRounds(rt, {
      events,
      rounds,
      ladderRounds: 0,
      writers: writers.map((writer) => ({ key: writer, writer, root })),
      ladder: [],
    });
    for (const run of summary.runs) {
      if (isFailure(run)) throw new Error(`${run.error}\n${run.stderr}`);
      if (run.drops !== 0) throw new Error(`${rt.id} ${run.writer} dropped`);
    }
    const version = await runChild(rt.command, ["--version"], 30, root);
    const median = summary.median as Record<string, number>;
    rows.push({
      runtime: rt.id,
      version: version.stdout.match(/\d+\.\d+\.\d+/)?.[0] ?? "unknown",
      median,
      ratios: Object.fromEntries(
        variants.map((
          [writer],
        ) => [writer, pairedRatio(summary, writer, base[0])]),
      ),
      ratiosOfMedians: Object.fromEntries(
        variants.map(([writer]) => [writer, median[writer] / median[base[0]]]),
      ),
    });
  }
  console.log(
    `${title}: ${events} events, median of ${rounds} rounds per writer (events/s); ratio: the median of the rounds' own ratios (each round runs every writer, back to back); target: ratio >= ${target}`,
  );
  const columns = [base[1], ...variants.flatMap(([, c]) => [c, "ratio"])];
  console.log(
    ["runtime".padEnd(14), ...columns.map((c) => c.padStart(12))].join(" "),
  );
  for (const r of rows) {
    const cells = [String(Math.round(r.median[base[0]]))];
    for (const [writer] of variants) {
      const ratio = r.ratios[writer];
      cells.push(
        String(Math.round(r.median[writer])),
        `${ratio.toFixed(2)}${ratio >= target ? "" : " FAIL"}`,
      );
    }
    console.log(
      [
        `${r.runtime} ${r.version}`.padEnd(14),
        ...cells.map((c) => c.padStart(12)),
      ]
        .join(" "),
    );
  }
  console.log(
    `ratio of the medians instead: ${
      rows.map((r) =>
        `${r.runtime} ${
          variants.map(([writer]) => r.ratiosOfMedians[writer].toFixed(2))
            .join("/")
        }`
      ).join(", ")
    }`,
  );
  console.log(JSON.stringify({ events, rounds, target, rows }));
}

/**
 * The median over rounds of `writer`'s events per second over `base`'s in
 * the same round: both ran back to back, so that the machine's drift over
 * the run (2 shared cores here) falls on both alike, which a ratio of the
 * two medians, each taken over the whole run, does not ensure.
 */
function pairedRatio(
  summary: E2eSummary,
  writer: string,
  base: string,
): number {
  const perRound = new Map<number, Partial<Record<string, number>>>();
  for (const run of summary.runs) {
    if (isFailure(run)) continue;
    const round = perRound.get(run.round) ?? {};
    round[run.writer] = run.eventsPerSecond;
    perRound.set(run.round, round);
  }
  const ratios = [...perRound.values()].flatMap((round) =>
    round[writer] !== undefined && round[base] !== undefined
      ? [round[writer]! / round[base]!]
      : []
  );
  return median(ratios);
}
