// Runs a benchmark in a child process and reads its JSON line; a child that
// fails is kept as a Failure with its output, never thrown.

import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import type { Runtime } from "./_runtimes.ts";

/** What a child left behind. */
export interface ChildOutput {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** A bench that did not give its figures, and why. */
export interface Failure {
  error: string;
  code: number | null;
  signal: string | null;
  stderr: string;
  stdout: string;
}

/** Runs `command` in `cwd`, killing it after `timeoutS` seconds. */
export function runChild(
  command: string,
  argv: string[],
  timeoutS: number,
  cwd: string,
): Promise<ChildOutput> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      resolve({
        code: null,
        signal: null,
        stdout,
        stderr: String(error),
        seconds: 0,
      });
      return;
    }
    const timer = setTimeout(() => {
      stderr += `\n(bench: killed after ${timeoutS} s)`;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.stdout!.setEncoding("utf8").on("data", (c: string) => stdout += c);
    child.stderr!.setEncoding("utf8").on("data", (c: string) => stderr += c);
    let done = false;
    const finish = (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        seconds: (performance.now() - started) / 1000,
      });
    };
    // A command that cannot start emits "error", and maybe no "close".
    child.on("error", (error) => {
      stderr += `\n${error}`;
      if (child.pid === undefined) finish(null, null);
    });
    child.on("close", finish);
  });
}

/**
 * Runs `command` to its end (killed after `timeoutS` seconds) and returns
 * its stdout; throws, with its stderr, when it fails.
 */
export async function runOrThrow(
  command: string,
  argv: string[],
  timeoutS: number,
  cwd: string,
): Promise<string> {
  const out = await runChild(command, argv, timeoutS, cwd);
  if (out.code !== 0) {
    throw new Error(
      `${command} ${argv.join(" ")}: exit ${
        out.code ?? out.signal
      }\n${out.stderr}`,
    );
  }
  return out.stdout;
}

/** The last line of stdout that parses as a JSON object. */
export function lastJson(
  out: ChildOutput,
): Record<string, unknown> | undefined {
  const lines = out.stdout.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      return JSON.parse(line);
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** The Failure of a child that did not give its figures. */
export function failure(out: ChildOutput, what: string): Failure {
  return {
    error: `${what} failed (exit ${out.code ?? out.signal})`,
    code: out.code,
    signal: out.signal,
    stderr: out.stderr.slice(-4000),
    stdout: out.stdout.slice(-2000),
  };
}

/** Whether `x` is a Failure. */
export function isFailure(x: unknown): x is Failure {
  return typeof x === "object" && x !== null && "error" in x;
}

/**
 * Runs `bench/<script>` of the tree at `root` on `rt`; its JSON line, or
 * what went wrong.
 */
export async function jsonBench<T>(
  rt: Runtime,
  root: string,
  script: string,
  flags: "gc" | "memory" | undefined,
  args: string[],
  timeoutS: number,
): Promise<T | Failure> {
  const out = await runChild(
    rt.command,
    [...rt.argv(join(root, "bench", script), flags), ...args],
    timeoutS,
    root,
  );
  const parsed = lastJson(out);
  if (out.code !== 0 || parsed === undefined) {
    return failure(out, `${rt.id} ${script}`);
  }
  return parsed as T;
}

/** A line of progress on stderr. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
