// Shared by the tests: the runtime under test, child processes on the same
// runtime, temporary directories, sample events and a collecting stream.

import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditSinkStats, CallEvent } from "../mod.ts";
import { SPEC_EVENT } from "./_spec_example.ts";

/** The runtime running the tests. */
export const runtime: "deno" | "bun" | "node" =
  typeof (globalThis as { Deno?: unknown }).Deno === "object"
    ? "deno"
    : typeof (globalThis as { Bun?: unknown }).Bun === "object"
    ? "bun"
    : "node";

/** What a finished child process left behind. */
export interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` (a .ts file) in a child process on the runtime running the
 * tests, with `args`, in the directory `cwd` (by default this one's).
 * `onStdout` sees output as it arrives (to kill the child at the right
 * moment, say).
 */
export function runChild(
  script: string,
  args: string[] = [],
  onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void,
  cwd?: string,
): Promise<ChildResult> {
  const argv = runtime === "deno"
    ? ["run", "--allow-all", script, ...args]
    : [script, ...args];
  const child = spawn(process.execPath, argv, {
    stdio: ["ignore", "pipe", "pipe"],
    cwd,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    onStdout?.(chunk, child);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on(
      "close",
      (code, signal) => resolve({ code, signal, stdout, stderr }),
    );
  });
}

/** A child of {@linkcode runUntilReady}: started, its result to come. */
export interface ReadyChild {
  /** Its process, once it printed; undefined if it ended without output. */
  readonly child: ReturnType<typeof spawn> | undefined;
  /** Its result, once it ends. */
  readonly result: Promise<ChildResult>;
  /** Whether it has ended. */
  ended(): boolean;
}

/**
 * Runs `script` (as {@linkcode runChild}) and resolves once it printed
 * `ready` on a line of its own, or ended (its result then tells why).
 */
export async function runUntilReady(
  script: string,
  args: string[],
): Promise<ReadyChild> {
  let child: ReturnType<typeof spawn> | undefined;
  let out = "";
  let ended = false;
  let onReady = (): void => {};
  const ready = new Promise<void>((resolve) => onReady = resolve);
  const result = runChild(script, args, (chunk, spawned) => {
    child = spawned;
    out += chunk;
    if (out.includes("ready\n")) onReady();
  });
  const stopWaiting = (): void => {
    ended = true;
    onReady();
  };
  result.then(stopWaiting, stopWaiting);
  await ready;
  return { child, result, ended: () => ended };
}

/** A fresh temporary directory, removed on dispose. */
export async function tempDir(): Promise<
  { path: string } & AsyncDisposable
> {
  const path = await mkdtemp(join(tmpdir(), "calltrail-test-"));
  return {
    path,
    [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }),
  };
}

/**
 * Runs `fn` with a fresh temporary directory, removed afterwards: what
 * `await using dir = await tempDir()` does, also on Node 22, which has no
 * `using`.
 */
export async function withTempDir<T>(
  fn: (dir: { path: string }) => Promise<T>,
): Promise<T> {
  const dir = await tempDir();
  try {
    return await fn(dir);
  } finally {
    await dir[Symbol.asyncDispose]();
  }
}

/** The spec's example event, with `overrides` applied. */
export function sampleEvent(overrides: Partial<CallEvent> = {}): CallEvent {
  return {
    ...SPEC_EVENT,
    granted_capabilities: [...SPEC_EVENT.granted_capabilities],
    outcome: { ...SPEC_EVENT.outcome },
    ...overrides,
  };
}

/** A sink's stats: `counts`, and 0 for the counters it leaves out. */
export function stats(counts: Partial<AuditSinkStats>): AuditSinkStats {
  return {
    accepted: 0,
    written: 0,
    dropped: 0,
    diverted: 0,
    failed: 0,
    invalid: 0,
    queued: 0,
    ...counts,
  };
}

/** A WritableStream that keeps what it is given, and its text. */
export function collector(
  write?: (chunk: Uint8Array) => void | Promise<void>,
): {
  stream: WritableStream<Uint8Array>;
  chunks: Uint8Array[];
  text: () => string;
  lines: () => string[];
  closed: () => boolean;
} {
  const chunks: Uint8Array[] = [];
  let closed = false;
  const decoder = new TextDecoder();
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      await write?.(chunk);
      chunks.push(chunk);
    },
    close() {
      closed = true;
    },
  });
  const text = () => chunks.map((c) => decoder.decode(c)).join("");
  return {
    stream,
    chunks,
    text,
    lines: () => text().split("\n").filter((line) => line !== ""),
    closed: () => closed,
  };
}

/** Lets queued microtasks and timers run. */
export function tick(ms = 5): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
