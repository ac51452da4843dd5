// Shared by the benchmarks: which runtime runs them, and its version, for
// the JSON line each prints.

import process from "node:process";

/** The runtime running the benchmark and its version. */
export function runtimeInfo(): {
  runtime: "deno" | "bun" | "node";
  version: string;
} {
  const g = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
  };
  if (g.Deno !== undefined) {
    return { runtime: "deno", version: g.Deno.version.deno };
  }
  if (g.Bun !== undefined) return { runtime: "bun", version: g.Bun.version };
  return { runtime: "node", version: process.versions.node };
}
