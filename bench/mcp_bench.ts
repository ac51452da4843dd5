// What auditMcpServer adds to a tools/call: an in-memory round trip with and
// without the audit, in the same run (target: at most 5% more time).
// Run: node bench/mcp_bench.ts | deno run -A bench/mcp_bench.ts |
//      bun bench/mcp_bench.ts
// --json: one JSON line instead of the table.
// --quick: a smoke run, 2 short rounds (JSON).
//
// Two McpServers of @modelcontextprotocol/sdk (the newest 1.x installed),
// each with the same tool ("add", a zod input schema of two numbers), each
// with its own Client over InMemoryTransport. One is audited with
// auditMcpServer into fileAuditSink("/dev/null"): the real file sink, whose
// batched writes run on the same thread, between calls. A sample is one
// awaited `client.callTool()`: request, validation, the tool, response,
// the client's check of the result, and for the audited server the event.
//
// A third server is audited into a sink that does nothing, to tell the
// audit's own cost from the sink's. Rounds rotate which server goes first;
// each round measures each with mitata's `measure` (about 0.2 s of samples
// each), and the round's ratio is audited / bare of the average round trip. The verdict is the median of the rounds'
// ratios, so that the machine's drift over the run (2 cores shared here)
// falls on both sides alike.

import { measure } from "mitata";
import { readFileSync } from "node:fs";
import process from "node:process";
import { Client } from "@modelcontextprotocol/sdk/client";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { fileAuditSink } from "../mod.ts";
import { auditMcpServer } from "../mcp.ts";
import { runtimeInfo } from "./_runtime_info.ts";
import { median } from "./_median.ts";

const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 2 : 15;
const CPU_TIME = (quick ? 50 : 200) * 1e6; // ns of samples per measure
const TARGET = 1.05;

/** A server with one tool, and a client connected to it. */
async function pair(audit?: Parameters<typeof auditMcpServer>[1]) {
  const server = new McpServer({ name: "bench", version: "1.0.0" });
  if (audit !== undefined) auditMcpServer(server, audit);
  server.registerTool(
    "add",
    { inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "bench-client", version: "1.0.0" });
  await client.connect(clientSide);
  let i = 0;
  const call = () =>
    client.callTool({ name: "add", arguments: { a: i++, b: 1 } });
  return { client, call };
}

const sink = await fileAuditSink("/dev/null");
const bare = await pair();
const audited = await pair(sink);
// The audit alone: a sink that does nothing, to split the cost.
const adapterOnly = await pair({ onCall() {}, drops: () => 0 });

type Stats = Awaited<ReturnType<typeof measure>>;

interface Figures {
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
  samples: number;
}

/** What `--json` prints: one line, times per round trip in nanoseconds. */
export interface McpBenchResult {
  runtime: string;
  version: string;
  sdk: string;
  quick: boolean;
  rounds: number;
  /** Each round's audited / bare average, in round order. */
  ratios: number[];
  /** The median of `ratios`: the verdict. */
  ratio: number;
  target: number;
  met: boolean;
  /** The median over rounds of each figure. */
  bare: Figures;
  audited: Figures;
  /** Audited with a sink that does nothing: the audit's own share. */
  adapterOnly: Figures;
  /** The median of each round's adapterOnly / bare. */
  adapterOnlyRatio: number;
  /** Events the audit wrote (one per audited call) and dropped. */
  events: number;
  drops: number;
}

const options = { min_cpu_time: CPU_TIME, min_samples: 50 };
type Round = { bare: Stats; audited: Stats; adapterOnly: Stats };
const rounds: Round[] = [];
const variants = { bare, audited, adapterOnly };
const order = Object.keys(variants) as (keyof Round)[];
// Warm every path up, untimed.
for (let k = 0; k < 3000; k++) {
  await bare.call(), await audited.call(), await adapterOnly.call();
}
for (let round = 0; round < ROUNDS; round++) {
  const measured: Partial<Round> = {};
  // Each round starts with the next variant, so that none is always first.
  for (let k = 0; k < order.length; k++) {
    const key = order[(round + k) % order.length];
    measured[key] = await measure(variants[key].call, options);
  }
  rounds.push(measured as Round);
}
await sink.flush();

const figures = (pick: (r: (typeof rounds)[number]) => Stats): Figures => ({
  avgNs: median(rounds.map((r) => pick(r).avg)),
  p50Ns: median(rounds.map((r) => pick(r).p50)),
  p99Ns: median(rounds.map((r) => pick(r).p99)),
  samples: rounds.reduce((n, r) => n + pick(r).samples.length, 0),
});
const ratios = rounds.map((r) => r.audited.avg / r.bare.avg);
const stats = sink.stats();
const result: McpBenchResult = {
  ...runtimeInfo(),
  sdk: JSON.parse(readFileSync(
    new URL(
      "../node_modules/@modelcontextprotocol/sdk/package.json",
      import.meta.url,
    ),
    "utf8",
  )).version,
  quick,
  rounds: ROUNDS,
  ratios,
  ratio: median(ratios),
  target: TARGET,
  met: median(ratios) <= TARGET,
  bare: figures((r) => r.bare),
  audited: figures((r) => r.audited),
  adapterOnly: figures((r) => r.adapterOnly),
  adapterOnlyRatio: median(rounds.map((r) => r.adapterOnly.avg / r.bare.avg)),
  events: stats.accepted,
  drops: stats.dropped,
};

await bare.client.close();
await audited.client.close();
await adapterOnly.client.close();
await sink.close();

if (json || quick) {
  console.log(JSON.stringify(result));
} else {
  const us = (ns: number) => (ns / 1000).toFixed(1).padStart(8);
  console.log(
    `MCP tools/call round trip, in memory: ${result.runtime} ${result.version}, SDK ${result.sdk}`,
  );
  console.log(
    `${"".padEnd(22)}${"avg µs".padStart(8)}${"p50 µs".padStart(8)}${
      "p99 µs".padStart(8)
    }  samples`,
  );
  const labels = {
    bare: "without the audit",
    audited: "audited, file sink",
    adapterOnly: "audited, no-op sink",
  };
  for (const key of ["bare", "audited", "adapterOnly"] as const) {
    const f = result[key];
    console.log(
      `${labels[key].padEnd(22)}${us(f.avgNs)}${us(f.p50Ns)}${
        us(f.p99Ns)
      }  ${f.samples}`,
    );
  }
  console.log(
    `audited / bare: ${result.ratio.toFixed(3)} (median of ${ROUNDS} rounds: ${
      ratios.map((r) => r.toFixed(3)).join(" ")
    }); target <= ${TARGET}: ${result.met ? "met" : "NOT met"}`,
  );
  console.log(
    `no-op sink / bare: ${
      result.adapterOnlyRatio.toFixed(3)
    } (the audit's own share)`,
  );
  console.log(`events written: ${result.events}, dropped: ${result.drops}`);
}
