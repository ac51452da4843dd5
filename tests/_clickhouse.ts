// A throwaway ClickHouse server for a test: a config in a fresh temporary
// directory (data, tmp, user_files and logs inside it), the HTTP interface
// alone on a free port of 127.0.0.1, the server as a child process, a
// readiness poll on `GET /ping`, and a stop by pid (SIGTERM, then SIGKILL).
//
// Written for Debian's `clickhouse-server` package (18.16 in bookworm), which
// installs /usr/sbin/clickhouse-server and reads XML configs under <yandex>.
// The package's own service is never used. `.ci/run` installs the package;
// elsewhere the tests that need it skip with CLICKHOUSE_MISSING as reason.
//
// Gotchas of 18.16 that shape the config:
// - mark_cache_size is required (the server exits with "Not found:
//   mark_cache_size" without it).
// - The TCP and interserver ports are optional: left out, the server listens
//   on HTTP alone, so there is one port to pick and nothing else to collide.
// - On SIGTERM the server waits until every open connection is gone,
//   including idle keep-alive connections of the client (its own wait,
//   shutdown_wait_unfinished, is followed by a join of the connection threads,
//   which end at keep_alive_timeout). With the default of 10 s a stop after
//   one fetch took 8 s; keep_alive_timeout = 1 makes it about a second.

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./edge/_workerd.ts";

/** How to run a ClickHouse server: the program and its first arguments. */
export interface ClickHouseCommand {
  /** The executable, such as `/usr/sbin/clickhouse-server`. */
  command: string;
  /** Arguments before the config's, such as `["server"]` for `clickhouse`. */
  args: readonly string[];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the server binary is: `clickhouse-server` (Debian's package puts it
 * in /usr/sbin, which a non-root PATH may lack) or the single `clickhouse`
 * binary of upstream builds, run as `clickhouse server`.
 */
export function findClickHouse(): ClickHouseCommand | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== ""),
    "/usr/sbin",
    "/usr/bin",
    "/usr/local/bin",
  ];
  for (const dir of dirs) {
    const path = join(dir, "clickhouse-server");
    if (executable(path)) return { command: path, args: [] };
  }
  for (const dir of dirs) {
    const path = join(dir, "clickhouse");
    if (executable(path)) return { command: path, args: ["server"] };
  }
  return undefined;
}

/**
 * Why the ClickHouse tests cannot run here, or `undefined` when they can:
 * pass it as `skip` to `describe` or `test`.
 */
export const CLICKHOUSE_MISSING: string | undefined = findClickHouse() ===
    undefined
  ? "no ClickHouse server here (neither clickhouse-server nor clickhouse on PATH or in /usr/sbin): install Debian's clickhouse-server package (.ci/run does)"
  : undefined;

/** The server's config for a data directory `dir` and an HTTP `port`. */
export function clickHouseConfig(dir: string, port: number): string {
  const path = (name: string): string => join(dir, name) + "/";
  return `<?xml version="1.0"?>
<!-- A throwaway server for a test (ClickHouse 18.16 reads <yandex>). -->
<yandex>
    <logger>
        <level>information</level>
        <log>${join(dir, "logs", "server.log")}</log>
        <errorlog>${join(dir, "logs", "server.err.log")}</errorlog>
        <size>10M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>${port}</http_port>
    <keep_alive_timeout>1</keep_alive_timeout>
    <path>${path("data")}</path>
    <tmp_path>${path("tmp")}</tmp_path>
    <user_files_path>${path("user_files")}</user_files_path>
    <format_schema_path>${path("format_schemas")}</format_schema_path>
    <timezone>UTC</timezone>
    <mark_cache_size>67108864</mark_cache_size>
    <users_config>config.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <profiles><default/></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default/></quotas>
</yandex>
`;
}

/** How {@linkcode startClickHouse} runs the server. */
export interface ClickHouseOptions {
  /** How long to wait for `GET /ping` (a limit, not an assertion). */
  readyWithinMs?: number;
  /** How long a stop waits after SIGTERM before SIGKILL. */
  stopWithinMs?: number;
}

/** A running (or stopped) throwaway ClickHouse server. */
export interface ClickHouse {
  /** The HTTP interface, such as `http://127.0.0.1:41234` (no slash). */
  readonly url: string;
  /** The HTTP port; the same after {@linkcode ClickHouse.restart}. */
  readonly port: number;
  /** The temporary directory: config.xml, data/, tmp/, logs/, ... */
  readonly dir: string;
  /** The pid of the current server process (the last one once stopped). */
  pid(): number;
  /**
   * Runs `sql` and resolves with the answer's text. Without `body`, the SQL
   * is the request body; with `body` (an INSERT's data), the SQL goes in the
   * `query` parameter. Rejects with the status and the answer on a non-2xx.
   */
  query(sql: string, body?: string | Uint8Array<ArrayBuffer>): Promise<string>;
  /**
   * Stops the server: `signal` (SIGTERM by default, SIGKILL for a crash),
   * then SIGKILL after `stopWithinMs`; resolves once the process is gone.
   * The directory stays, for {@linkcode ClickHouse.restart}.
   */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Stops the server if it runs, then starts it on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory; safe to call twice. */
  destroy(): Promise<void>;
  /** The server's log so far (logs/server.log), for a failure message. */
  log(): Promise<string>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One server process and what it printed. */
interface Run {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

function spawnServer(bin: ClickHouseCommand, dir: string): Run {
  const child = spawn(
    bin.command,
    [...bin.args, `--config-file=${join(dir, "config.xml")}`],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: string): void => {
    output += chunk;
  };
  child.stdout!.setEncoding("utf8").on("data", collect);
  child.stderr!.setEncoding("utf8").on("data", collect);
  const exited = new Promise<void>((resolve) => {
    child.on("error", (error) => {
      output += `\n${error.message}`;
      resolve();
    });
    child.on("exit", () => resolve());
  });
  return { child, exited, output: () => output };
}

/**
 * Starts a ClickHouse server in a fresh temporary directory and resolves
 * once it answers `GET /ping`. The server is killed if the test process exits
 * first. Throws (with the reason) when no binary is installed: guard the
 * test with `{ skip: CLICKHOUSE_MISSING }`.
 */
export async function startClickHouse(
  options: ClickHouseOptions = {},
): Promise<ClickHouse> {
  const { readyWithinMs = 30_000, stopWithinMs = 10_000 } = options;
  const bin = findClickHouse();
  if (bin === undefined) throw new Error(CLICKHOUSE_MISSING);
  const dir = await mkdtemp(join(tmpdir(), "calltrail-clickhouse-"));
  for (const sub of ["data", "tmp", "user_files", "format_schemas", "logs"]) {
    await mkdir(join(dir, sub));
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await writeFile(join(dir, "config.xml"), clickHouseConfig(dir, port));

  let run: Run | undefined;
  let state: "running" | "stopped" | "destroyed" = "stopped";
  const log = (): Promise<string> =>
    readFile(join(dir, "logs", "server.log"), "utf8").catch(() => "");

  // If the test process ends before destroy(), leave nothing behind.
  const onExit = (): void => {
    if (state === "running") run?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);

  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    if (state !== "running" || run === undefined) return;
    const { child, exited } = run;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), stopWithinMs);
      await exited;
      clearTimeout(timer);
    }
    state = "stopped";
  };

  const start = async (): Promise<void> => {
    const current = run = spawnServer(bin, dir);
    state = "running";
    const deadline = Date.now() + readyWithinMs;
    let exitedEarly = false;
    void current.exited.then(() => {
      exitedEarly = true;
    });
    let lastError = "";
    while (true) {
      if (exitedEarly) {
        state = "stopped";
        const errors = await readFile(
          join(dir, "logs", "server.err.log"),
          "utf8",
        ).catch(() => "");
        throw new Error(
          `calltrail: ClickHouse (${bin.command}) exited before serving (code ${current.child.exitCode}, signal ${current.child.signalCode}).\noutput:\n${current.output()}\nerror log:\n${errors}`,
        );
      }
      try {
        const response = await fetch(`${url}/ping`);
        const text = await response.text();
        if (response.ok) return;
        lastError = `GET /ping answered ${response.status}: ${text}`;
      } catch (error) {
        lastError = String((error as Error)?.message ?? error);
      }
      if (Date.now() > deadline) {
        await stop("SIGKILL");
        throw new Error(
          `calltrail: ClickHouse did not answer GET /ping within ${readyWithinMs} ms (last error: ${lastError}).\noutput:\n${current.output()}\nlog:\n${await log()}`,
        );
      }
      await delay(25);
    }
  };

  try {
    await start();
  } catch (error) {
    process.off("exit", onExit);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    port,
    dir,
    pid: () => run!.child.pid!,
    async query(sql, body) {
      const request = body === undefined
        ? fetch(`${url}/`, { method: "POST", body: sql })
        : fetch(`${url}/?query=${encodeURIComponent(sql)}`, {
          method: "POST",
          body,
        });
      const response = await request;
      const text = await response.text();
      if (!response.ok) {
        throw new Error(
          `calltrail: ClickHouse answered ${response.status} to ${sql}: ${text}`,
        );
      }
      return text;
    },
    stop,
    async restart() {
      if (state === "destroyed") {
        throw new Error("calltrail: this ClickHouse was destroyed");
      }
      await stop();
      await start();
    },
    async destroy() {
      if (state === "destroyed") return;
      await stop();
      state = "destroyed";
      process.off("exit", onExit);
      await rm(dir, { recursive: true, force: true });
    },
    log,
  };
}
