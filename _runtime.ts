// Internal: which runtime runs us, read at call time (never at module load),
// and typed views of the few Node and Deno APIs the native sinks use. Every
// test of the runtime lives here.

/**
 * The runtimes with a native path, or `"other"`: workerd and browsers, where
 * there is no process to exit and no file system or stdio of our own. workerd
 * counts as `"other"` also with `nodejs_compat`, whose `process` and `node:fs`
 * are request-scoped stand-ins.
 */
export type Runtime = "deno" | "bun" | "node" | "other";

/** The part of `node:fs` the file sink uses. */
export interface NodeFs {
  /** Writes what it can; on a full non-blocking pipe throws `EAGAIN`. */
  writeSync(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
  ): number;
  /** Writes a string as UTF-8; returns the number of bytes written. */
  writeSync(fd: number, text: string): number;
  closeSync(fd: number): void;
  openSync(path: string | URL, flags: string, mode: number): number;
  fstatSync(fd: number): { size: number; mtimeMs: number };
  renameSync(from: string | URL, to: string | URL): void;
  unlinkSync(path: string | URL): void;
  existsSync(path: string | URL): boolean;
  readdirSync(path: string | URL): string[];
}

/** The part of Node's and Bun's `process` the sinks use. */
export interface NodeProcess {
  versions: { node?: string };
  on(event: "exit", listener: () => void): unknown;
  getBuiltinModule?(id: string): unknown;
}

/** A Deno stream or file that the sinks write to. */
export interface DenoWriter {
  /** Writes what it can; returns the number of bytes written. */
  writeSync(bytes: Uint8Array): number;
}

/** An open Deno file. */
export interface DenoFile extends DenoWriter {
  close(): void;
  statSync(): { size: number; mtime: Date | null };
}

/** The part of the `Deno` namespace the native sinks use. */
export interface DenoApi {
  openSync(
    path: string | URL,
    options: { append: boolean; create: boolean; mode: number },
  ): DenoFile;
  stdout: DenoWriter;
  stderr: DenoWriter;
  unrefTimer?(id: number): void;
}

/** Which runtime this is. */
export function runtime(): Runtime {
  const g = globalThis as {
    Deno?: { version?: { deno?: unknown } };
    Bun?: unknown;
    navigator?: { userAgent?: unknown };
  };
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "other";
  if (typeof g.Deno?.version?.deno === "string") return "deno";
  if (g.Bun !== undefined) return "bun";
  return nodeProcess() === undefined ? "other" : "node";
}

/**
 * Whether this is a process of our own that outlives requests (Deno, Bun,
 * Node), where timers run to the end, rather than workerd or a browser.
 */
export function hasProcess(): boolean {
  return runtime() !== "other";
}

/**
 * Whether the JavaScript engine is JavaScriptCore (Bun), whose string
 * ropes are costly to flatten, rather than V8 (Node, Deno, workerd).
 */
export function isJavaScriptCore(): boolean {
  return runtime() === "bun";
}

/** Node's or Bun's `process`, when there is one. */
export function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return typeof p?.versions?.node === "string" ? p : undefined;
}

/** `node:fs`, on runtimes that have it. */
export function nodeFs(): NodeFs | undefined {
  return nodeProcess()?.getBuiltinModule?.("node:fs") as NodeFs | undefined;
}

/** The `Deno` namespace, on Deno. */
export function denoApi(): DenoApi | undefined {
  return runtime() === "deno"
    ? (globalThis as { Deno?: DenoApi }).Deno
    : undefined;
}

/**
 * Lets the process end while `timer` is pending: `unref()` on Node and Bun,
 * `Deno.unrefTimer` on Deno; nothing elsewhere.
 */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "number") denoApi()?.unrefTimer?.(timer);
  else (timer as { unref?: () => void } | undefined)?.unref?.();
}

/**
 * Closes the file descriptor `fd`; a failure is ignored, since nothing is
 * left to release.
 */
export function closeQuietly(
  fs: { closeSync(fd: number): void },
  fd: number,
): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing left to release.
  }
}
