// The runtimes the benchmarks run on, each from the project's node_modules,
// and how to run a script on each (with V8 flags where a bench needs them).

import { join } from "node:path";

/** V8 flags for the memory bench: see bench/memory.ts. */
const V8_MEMORY_FLAGS = [
  "--expose-gc",
  "--min-semi-space-size=16",
  "--max-semi-space-size=16",
  "--no-flush-bytecode",
];

/** A runtime, and how to run a script on it. */
export interface Runtime {
  id: "node" | "bun" | "deno";
  label: string;
  command: string;
  /** The argv to run `script`, with `gc` (expose gc) or `memory` flags. */
  argv(script: string, flags?: "gc" | "memory"): string[];
}

/** Node, Bun and Deno, from `bin` (a node_modules/.bin). */
export function runtimes(bin: string): Runtime[] {
  return [
    {
      id: "node",
      label: "Node",
      command: join(bin, "node"),
      argv: (script, flags) => [
        ...(flags === "memory"
          ? V8_MEMORY_FLAGS
          : flags === "gc"
          ? ["--expose-gc"]
          : []),
        script,
      ],
    },
    {
      id: "bun",
      label: "Bun",
      command: join(bin, "bun"),
      argv: (script) => [script],
    },
    {
      id: "deno",
      label: "Deno",
      command: join(bin, "deno"),
      argv: (script, flags) => [
        "run",
        "-A",
        ...(flags === "memory"
          ? [`--v8-flags=${V8_MEMORY_FLAGS.join(",")}`]
          : flags === "gc"
          ? ["--v8-flags=--expose-gc"]
          : []),
        script,
      ],
    },
  ];
}
