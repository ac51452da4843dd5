// The issues' own benchmarks, run by bench/run.ts after its core benches:
// each is a script that measures one capability against its anchor, prints
// a table and one JSON line, and can be run alone (see each script's head).
// A suite that fails is kept as a Failure with its output, never thrown.

import { join } from "node:path";
import { type Failure, failure, lastJson, log, runChild } from "./_child.ts";
import type { Runtime } from "./_runtimes.ts";

/** One suite: its script, and how it is run. */
export interface Suite {
  id: string;
  /** What it measures, against what. */
  title: string;
  script: string;
  /**
   * `driver`: run once with Node, it runs each runtime itself;
   * `each`: run once on each runtime.
   */
  runs: "driver" | "each";
  args(quick: boolean): string[];
  timeoutS: number;
  /** A line of the table from a run's JSON, for a suite that prints none. */
  summarize?(json: Record<string, unknown>): string;
}

/** Every suite, in the order they run. */
export const SUITES: readonly Suite[] = [
  {
    id: "http",
    title: "HTTP sinks against OpenTelemetry JS, and over a slow link",
    script: "http_sinks.ts",
    runs: "driver",
    args: (quick) => quick ? ["--quick"] : [],
    timeoutS: 3600,
  },
  {
    id: "mcp",
    title: "auditMcpServer's cost on a tools/call round trip",
    script: "mcp_bench.ts",
    runs: "each",
    args: (quick) => quick ? ["--quick"] : ["--json"],
    timeoutS: 900,
    summarize: (json) => {
      const ratio = Number(json.ratio);
      const target = Number(json.target);
      return `${json.runtime} ${json.version}, SDK ${json.sdk}: audited into fileAuditSink / bare ${
        ratio.toFixed(3)
      } (need <= ${target}) ${
        ratio <= target ? "PASS" : "FAIL"
      }; into a sink that does nothing ${
        Number(json.adapterOnlyRatio).toFixed(3)
      }`;
    },
  },
  {
    id: "chain",
    title: "the file sink with and without a chain",
    script: "chain.ts",
    runs: "driver",
    args: (quick) => quick ? ["--rounds", "1", "--events", "20000"] : [],
    timeoutS: 3600,
  },
  {
    id: "rotate",
    title: "the file sink with and without rotation (maxBytes 1 MiB)",
    script: "rotate.ts",
    runs: "driver",
    args: (quick) => quick ? ["--rounds", "1", "--events", "20000"] : [],
    timeoutS: 3600,
  },
  {
    id: "stats",
    title: "calltrail stats against jq",
    script: "stats_vs_jq.ts",
    runs: "driver",
    args: (quick) =>
      quick ? ["--mb", "20", "--rounds", "1", "--jq-rounds", "1"] : [],
    timeoutS: 3600,
  },
];

/** What one suite gave: its table and its figures, or its failure. */
export interface SuiteResult {
  id: string;
  title: string;
  /** What it printed before its JSON line(s). */
  table: string;
  /** Its JSON figures: one object, or one per runtime. */
  figures: unknown;
}

/** Runs `suite` from `root`; never throws. */
export async function runSuite(
  suite: Suite,
  root: string,
  runtimes: readonly Runtime[],
  quick: boolean,
): Promise<SuiteResult | Failure> {
  const script = join(root, "bench", suite.script);
  const node = runtimes.find((rt) => rt.id === "node")!;
  const runs = suite.runs === "driver"
    ? [{ rt: node, argv: node.argv(script) }]
    : runtimes.map((rt) => ({ rt, argv: rt.argv(script) }));
  const tables: string[] = [];
  const figures: Record<string, unknown> = {};
  for (const { rt, argv } of runs) {
    log(`  ${suite.id}${suite.runs === "each" ? ` on ${rt.label}` : ""}...`);
    const out = await runChild(
      rt.command,
      [...argv, ...suite.args(quick)],
      suite.timeoutS,
      root,
    );
    const json = lastJson(out);
    if (out.code !== 0 || json === undefined) {
      return failure(out, `bench/${suite.script} on ${rt.label}`);
    }
    tables.push(
      suite.summarize?.(json) ??
        out.stdout.trim().split("\n").filter((l) => !l.startsWith("{"))
          .join("\n"),
    );
    figures[rt.id] = json;
  }
  return {
    id: suite.id,
    title: suite.title,
    table: tables.filter((t) => t !== "").join("\n"),
    figures: suite.runs === "driver" ? figures.node : figures,
  };
}
