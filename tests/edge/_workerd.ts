// Serves a bundled worker with workerd: a free port, a capnp config, the
// child process, and a readiness poll.

import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The workerd binary of the repository's devDependency. */
export const WORKERD_BIN = fileURLToPath(
  new URL("../../node_modules/.bin/workerd", import.meta.url),
);

/**
 * A recent compatibility date that workerd ^1.20261117 accepts (it rejects
 * dates newer than its own). Fixed, so the test does not change with the
 * calendar. Since 2026-08-04 this date implies `nodejs_compat` and
 * `nodejs_compat_v2` (a `process` global with `getBuiltinModule`, `node:fs`
 * on a virtual file system) unless the config opts out with
 * {@linkcode WEB_ONLY_FLAGS}.
 */
export const COMPATIBILITY_DATE = "2026-11-01";

/**
 * The flags that turn off the Node.js compatibility that
 * {@linkcode COMPATIBILITY_DATE} implies: without both, workerd still has a
 * `process` global. No flag enables anything.
 */
export const WEB_ONLY_FLAGS: readonly string[] = [
  "no_nodejs_compat",
  "no_nodejs_compat_v2",
];

/** A port that was free a moment ago, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) {
          resolve(address.port);
        } else reject(new Error(`unexpected server address ${address}`));
      });
    });
  });
}

/**
 * A workerd config: one ES module worker with `flags` as its compatibility
 * flags, listening on 127.0.0.1:`port`. `module` is the bundle's file name,
 * next to the config.
 */
export function workerdConfig(
  module: string,
  port: number,
  flags: readonly string[],
): string {
  const flagsLine = flags.length === 0
    ? ""
    : `\n  compatibilityFlags = [ ${
      flags.map((flag) => JSON.stringify(flag)).join(", ")
    } ],`;
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    # The HTTP sinks' tests send to a receiver on 127.0.0.1.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    ( name = "http", address = "127.0.0.1:${port}", http = (), service = "main" ),
  ],
);

const mainWorker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "${module}") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",${flagsLine}
  globalOutbound = "loopback",
);
`;
}

/** A running workerd. */
export interface Workerd {
  /** The worker's base URL, such as `http://127.0.0.1:8787`. */
  url: string;
  /** What workerd wrote to stdout so far (the worker's console.log). */
  stdout(): string;
  /** What workerd wrote to stderr so far. */
  stderr(): string;
  /** Kills workerd and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes the config for `module` (a file in `dir`) and serves it with
 * workerd, resolving once the worker answers `GET /ready` with `ready`.
 *
 * @param dir A directory holding the bundle; the config goes there too.
 * @param module The bundle's file name in `dir`.
 * @param flags The worker's compatibility flags.
 * @param readyWithinMs How long to wait for the first answer (a limit on a
 * slow start, not a timing assertion).
 */
export async function startWorkerd(
  dir: string,
  module: string,
  flags: readonly string[],
  readyWithinMs = 30_000,
): Promise<Workerd & { config: string }> {
  const port = await freePort();
  const config = workerdConfig(module, port, flags);
  const configPath = join(dir, `config_${port}.capnp`);
  await writeFile(configPath, config);
  const workerd = await serveWorkerd(configPath, port, {
    isReady: (status, text) => status === 200 && text === "ready",
    readyWithinMs,
  });
  return { ...workerd, config };
}

/** How {@linkcode serveWorkerd} runs workerd and knows it is ready. */
export interface ServeOptions {
  /** More arguments to `workerd serve`, such as `--socket-addr`. */
  args?: readonly string[];
  /** Whether the answer to `GET /ready` means the worker is up. */
  isReady: (status: number, text: string) => boolean;
  /** How long to wait for a ready answer (a limit, not an assertion). */
  readyWithinMs?: number;
}

/**
 * Serves the config at `configPath` with workerd (from the config's
 * directory), its worker listening on 127.0.0.1:`port`, and resolves once
 * `options.isReady` accepts the answer to `GET /ready`.
 */
export async function serveWorkerd(
  configPath: string,
  port: number,
  options: ServeOptions,
): Promise<Workerd> {
  const { args: extra = [], isReady, readyWithinMs = 30_000 } = options;
  const dir = dirname(configPath);
  const config = await readFile(configPath, "utf8");

  // --verbose: workerd then also logs uncaught exceptions and unhandled
  // rejections (a waitUntil promise that rejects, say) on stderr.
  const args = ["serve", "--verbose", configPath, ...extra];
  const child: ChildProcess = spawn(WORKERD_BIN, args, {
    cwd: dir,
    env: { ...process.env, PWD: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let spawnError: Error | undefined;
  child.on("error", (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.on("exit", () => resolve());
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  // If the test process ends before stop(), do not leave workerd behind.
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.on("exit", killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    stopping ??= (async () => {
      if (!hasExited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      process.off("exit", killOnExit);
    })();

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  let lastError: unknown;
  try {
    while (true) {
      if (spawnError !== undefined) throw spawnError;
      if (hasExited) {
        throw new Error(
          `workerd exited before serving (code ${child.exitCode}, signal ${child.signalCode}).\nstderr:\n${stderr}\nconfig:\n${config}`,
        );
      }
      try {
        const response = await fetch(`${url}/ready`);
        const text = await response.text();
        if (isReady(response.status, text)) break;
        lastError = new Error(
          `GET /ready answered ${response.status}: ${text}`,
        );
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `workerd did not answer within ${readyWithinMs} ms (last error: ${
            (lastError as Error)?.message ?? lastError
          }).\nstderr:\n${stderr}`,
        );
      }
      await delay(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    stop,
  };
}
