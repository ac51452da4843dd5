// End to end, in rounds: each writer of bench/e2e.ts in a fresh child
// process, the order rotating from round to round, then the medians and the
// spread of each writer's events per second.

import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { E2eResult } from "./e2e.ts";
import {
  type Failure,
  failure,
  isFailure,
  lastJson,
  log,
  runChild,
} from "./_child.ts";
import type { Runtime } from "./_runtimes.ts";

/** A writer of bench/e2e.ts, run from the tree at `root`, named `key`. */
export interface E2eWriter {
  /** Its name in the results, such as `calltrail@before`. */
  key: string;
  /** The writer bench/e2e.ts runs, such as `calltrail`. */
  writer: string;
  /** The tree whose bench/e2e.ts (and library) runs it. */
  root: string;
}

/** What to run: `rounds` of `writers`, then `ladderRounds` of `ladder`. */
export interface E2eConfig {
  events: number;
  rounds: number;
  ladderRounds: number;
  writers: readonly E2eWriter[];
  ladder: readonly E2eWriter[];
}

/** One round of one writer: what bench/e2e.ts printed, and the round. */
export type E2eRun = Omit<E2eResult, "runtime" | "version"> & { round: number };

/** The rounds of every writer on one runtime. */
export interface E2eSummary {
  events: number;
  rounds: number;
  runs: (E2eRun | (Failure & { writer: string; round: number }))[];
  /** Median events per second of each writer. */
  median: Partial<Record<string, number>>;
  /** (max - min) / median of each writer's rounds: the noise. */
  spread: Partial<Record<string, number>>;
}

import { median } from "./_median.ts";

/** Runs every round of `config` on `rt`. */
export async function e2eRounds(
  rt: Runtime,
  config: E2eConfig,
): Promise<E2eSummary> {
  const dir = mkdtempSync(join(os.tmpdir(), "calltrail-bench-"));
  const runs: E2eSummary["runs"] = [];
  try {
    for (let round = 0; round < config.rounds + config.ladderRounds; round++) {
      // Rotate the order each round, so no writer always runs first or
      // right after the slowest one.
      const writers = round < config.rounds ? config.writers : config.ladder;
      const order = writers.map((_, i) =>
        writers[(i + round) % writers.length]
      );
      for (const { key, writer, root } of order) {
        const out = await runChild(
          rt.command,
          [
            ...rt.argv(join(root, "bench", "e2e.ts")),
            writer,
            join(dir, `${key}.jsonl`),
            String(config.events),
          ],
          300,
          root,
        );
        const parsed = lastJson(out) as E2eRun | undefined;
        if (out.code !== 0 || parsed === undefined) {
          runs.push({
            ...failure(out, `${rt.id} e2e ${key}`),
            writer: key,
            round,
          });
          log(`  ${rt.id} e2e ${key} round ${round + 1}: ERROR`);
        } else {
          runs.push({ ...parsed, writer: key, round });
          log(
            `  ${rt.id} e2e ${key} round ${round + 1}: ${
              Math.round(parsed.eventsPerSecond).toLocaleString("en-US")
            } events/s`,
          );
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary: E2eSummary = {
    events: config.events,
    rounds: config.rounds,
    runs,
    median: {},
    spread: {},
  };
  const keys = new Set([...config.writers, ...config.ladder].map((w) => w.key));
  for (const key of keys) {
    const eps = runs.flatMap((r) =>
      r.writer === key && !isFailure(r) ? [r.eventsPerSecond] : []
    );
    if (eps.length === 0) continue;
    const m = median(eps);
    summary.median[key] = m;
    summary.spread[key] = (Math.max(...eps) - Math.min(...eps)) / m;
  }
  return summary;
}
