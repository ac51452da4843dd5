// Shared by the CLI tests: runs cli.ts in a child process on the runtime
// under test, and writes logs to read.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serializeCallEvent } from "../../mod.ts";
import { trailEvents } from "../../bench/_trail.ts";
import { type ChildResult, runChild } from "../_helpers.ts";
import { readVectors } from "../_vectors.ts";

/** The CLI's entry point. */
export const CLI: string = fileURLToPath(
  new URL("../../cli.ts", import.meta.url),
);

/** Runs `calltrail ...args`; its exit code and output. */
export function cli(...args: string[]): Promise<ChildResult> {
  return runChild(CLI, args);
}

/** Runs `calltrail ...args` in the directory `cwd`. */
export function cliIn(cwd: string, ...args: string[]): Promise<ChildResult> {
  return runChild(CLI, args, undefined, cwd);
}

/** The output of a child, for assertion messages. */
export function shown(child: ChildResult): string {
  return `exit ${child.code}\nstdout:\n${child.stdout}\nstderr:\n${child.stderr}`;
}

/** The lines of `count` events of the made-up trail. */
export function trailLines(count: number, seed = 1): string[] {
  return [...trailEvents(count, seed)].map(serializeCallEvent);
}

/** Writes `lines` (each ended by "\n", unless `tail` is given) to dir/name. */
export async function writeLog(
  dir: string,
  name: string,
  lines: string[],
  tail = "",
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.map((line) => `${line}\n`).join("") + tail);
  return path;
}

/** The read vectors' lines (valid and not), in order: a log with bad lines. */
export const vectorLines: string[] = readVectors.map((v) => v.line);
