// The npm package as a user gets it: `npm pack` (which builds dist/ in its
// prepack script), then `npm install ./calltrail-audit-x.y.z.tgz` into a new
// project in a temporary directory. Checks that:
// - the tarball holds JavaScript and .d.ts files, no sources, tests or benches;
// - a plain JavaScript program audits calls to a file and reads them back on
//   Node 22, Node 24, Bun and Deno (through the project's node_modules);
// - tsc --strict type-checks a TypeScript file against the shipped types, in
//   a project without Deno's types (Web APIs only, and Node's types only);
// - esbuild bundles (--bundle --minify --format=esm) stay small: the write
//   path (startCall, consoleAuditSink) at most 25 kB, all of mod.ts at most
//   100 kB; the sizes are printed;
// - a worker bundled from the installed package runs on workerd.
//
// It drives every runtime itself, so it runs once: on the Node of the
// devDependency (`npm run test:node`), and skips itself on Node 22, Deno and
// Bun. npm installs zod, typescript and @types/node from its cache when it
// can (--prefer-offline), else from the registry.

import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, stop } from "esbuild";
import { type CallEvent, parseCallEvent } from "../../mod.ts";
import { runtime } from "../_helpers.ts";
import { bundleWorker } from "../edge/_bundle.ts";
import { startWorkerd, WEB_ONLY_FLAGS } from "../edge/_workerd.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CONSUMER = new URL("./consumer/", import.meta.url);
const BIN = join(ROOT, "node_modules", ".bin");
const MAJOR = Number(process.versions.node.split(".")[0]);
const SKIP = runtime === "node" && MAJOR >= 24
  ? false
  : "runs once, on Node 24 (npm run test:node): it drives every runtime itself";
/** A limit on each step (installs, builds, processes), never an assertion. */
const SLOW = { timeout: 300_000 };
const KB = 1000;
/** The size limits of issue 10, in bytes of minified ESM. */
const LIMITS = { writePath: 25 * KB, everything: 100 * KB };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` in `cwd` and resolves with its output once it exits. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<Run> {
  const child = spawn(command, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like {@linkcode run}, and fails the test unless the command succeeds. */
async function ok(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<string> {
  const result = await run(command, args, cwd);
  assert.equal(
    result.code,
    0,
    `${command} ${
      args.join(" ")
    } exited with ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
  );
  return result.stdout;
}

/**
 * npm, run by this Node: the npm that runs `npm test` when there is one
 * (`npm_execpath`), else the one on PATH.
 */
function npm(args: readonly string[], cwd: string): Promise<string> {
  const cli = process.env.npm_execpath;
  return cli !== undefined && cli.endsWith(".js")
    ? ok(process.execPath, [cli, ...args], cwd)
    : ok("npm", args, cwd);
}

/** Bundles `entry` as `esbuild --bundle --minify --format=esm` would. */
async function minified(entry: string, outfile: string): Promise<string> {
  try {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: true,
      format: "esm",
      logLevel: "silent",
    });
  } finally {
    await stop();
  }
  return readFile(outfile, "utf8");
}

function kB(bytes: number): string {
  return `${(bytes / KB).toFixed(1)} kB`;
}

/** The versions of the repository's devDependencies, for the consumer. */
async function devDependency(name: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
  return `${name}@${pkg.devDependencies[name]}`;
}

describe("the npm package, installed from its tarball", { skip: SKIP }, () => {
  let dir: string | undefined;
  /** The consumer project, once the tarball is installed there. */
  let project: string | undefined;
  let tarball: string | undefined;

  const installed = (): string => {
    assert.ok(
      project,
      "the tarball was not installed (see the earlier failure)",
    );
    return project;
  };

  test("npm pack ships JavaScript and .d.ts files only", SLOW, async (t) => {
    dir = await mkdtemp(join(tmpdir(), "calltrail-package-"));
    const out = await npm(["pack", "--json", "--pack-destination", dir], ROOT);
    const [pack] = JSON.parse(out) as {
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string }[];
    }[];
    tarball = join(dir, pack.filename);
    const paths = pack.files.map((file) => file.path).sort();
    const shipped = paths.filter((path) =>
      !["LICENSE", "README.md", "package.json"].includes(path)
    );
    for (const path of shipped) {
      assert.match(path, /^dist\/[\w/]+(?:\.d\.ts|\.js)$/, "no other files");
    }
    // Every source module, built: JavaScript and its types.
    for (const module of ["mod", "call_event_schema", "sinks/file"]) {
      assert.ok(paths.includes(`dist/${module}.js`), `dist/${module}.js`);
      assert.ok(paths.includes(`dist/${module}.d.ts`), `dist/${module}.d.ts`);
    }
    const js = shipped.filter((path) => !path.endsWith(".d.ts")).length;
    assert.equal(shipped.length, 2 * js, "one .d.ts per .js");
    t.diagnostic(
      `tarball ${pack.filename}: ${pack.files.length} files, ${
        kB(pack.size)
      } (${kB(pack.unpackedSize)} unpacked)`,
    );
  });

  test("npm install of the tarball in a new project", SLOW, async () => {
    assert.ok(dir && tarball, "no tarball (see the earlier failure)");
    const consumer = join(dir, "consumer");
    await mkdir(consumer);
    await writeFile(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await npm([
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      tarball,
      await devDependency("typescript"),
      await devDependency("@types/node"),
    ], consumer);
    for (
      const file of [
        "audit.mjs",
        "worker.mjs",
        "typed.ts",
        "tsconfig.web.json",
        "tsconfig.node.json",
      ]
    ) {
      await copyFile(new URL(file, CONSUMER), join(consumer, file));
    }
    const pkg = JSON.parse(
      await readFile(join(consumer, "package.json"), "utf8"),
    );
    assert.match(pkg.dependencies["@calltrail/audit"], /^file:/);
    project = consumer;
  });

  /** Runs audit.mjs with `command` and checks what it wrote and read. */
  const audits = async (
    name: string,
    command: string,
    args: readonly string[],
  ): Promise<void> => {
    const consumer = installed();
    const path = join(consumer, `audit_${name.replace(/\W/g, "_")}.jsonl`);
    const out = await ok(command, [...args, "audit.mjs", path], consumer);
    const seen = JSON.parse(out) as {
      module: string;
      ids: string[];
      events: CallEvent[];
      stats: Record<string, number>;
    };
    assert.equal(
      seen.module,
      new URL(
        "node_modules/@calltrail/audit/dist/mod.js",
        `file://${consumer}/`,
      )
        .href,
      "the installed build, not the sources",
    );
    assert.deepEqual(seen.events.map((event) => event.call_id), seen.ids);
    assert.deepEqual(seen.events.map((event) => event.outcome.kind), [
      "success",
      "execution_failed",
    ]);
    assert.equal(seen.stats.written, 2);
    // The file holds the lines, read here too.
    const lines = (await readFile(path, "utf8")).split("\n");
    assert.equal(lines.pop(), "", "the file ends with a newline");
    assert.deepEqual(lines.map((line) => parseCallEvent(line)), seen.events);
  };

  test(
    "a program audits to a file and reads it back: Node 24",
    SLOW,
    () => audits("node24", process.execPath, []),
  );

  test("... Node 22", SLOW, async () => {
    const node22 = (await npm(
      [
        "exec",
        "--yes",
        "--package=node@22",
        "--",
        "node",
        "-p",
        "process.execPath",
      ],
      installed(),
    )).trim();
    const version = await ok(node22, ["--version"], installed());
    assert.match(version, /^v22\./);
    await audits("node22", node22, []);
  });

  test("... Bun", SLOW, () => audits("bun", join(BIN, "bun"), []));

  test(
    "... Deno (through node_modules)",
    SLOW,
    () =>
      audits("deno", join(BIN, "deno"), [
        "run",
        "--allow-read",
        "--allow-write",
      ]),
  );

  test(
    "the calltrail command of the package's bin reads the trail",
    SLOW,
    async () => {
      const consumer = installed();
      const path = join(consumer, "audit_bin.jsonl");
      await ok(process.execPath, ["audit.mjs", path], consumer);
      const bin = join(consumer, "node_modules", ".bin", "calltrail");
      const stats = JSON.parse(
        await ok(bin, ["stats", "--json", path], consumer),
      );
      assert.equal(stats.calls, 2);
      assert.deepEqual(stats.by_outcome, { success: 1, execution_failed: 1 });
      const verified = await ok(bin, ["verify", path], consumer);
      assert.match(verified, /2 lines/);
    },
  );

  for (const config of ["web", "node"]) {
    test(
      `tsc --strict type-checks a user's file (tsconfig.${config}.json)`,
      SLOW,
      async () => {
        const consumer = installed();
        const tsc = join(consumer, "node_modules", ".bin", "tsc");
        await ok(tsc, ["--strict", "-p", `tsconfig.${config}.json`], consumer);
      },
    );
  }

  test(
    "esbuild --bundle --minify: write path <= 25 kB, mod.ts <= 100 kB",
    SLOW,
    async (t: TestContext) => {
      const consumer = installed();
      const sizes: Record<keyof typeof LIMITS, number> = {
        writePath: 0,
        everything: 0,
      };
      const entries = {
        writePath:
          'export { consoleAuditSink, startCall } from "@calltrail/audit";\n',
        everything: 'export * from "@calltrail/audit";\n',
      };
      for (const [name, source] of Object.entries(entries)) {
        const entry = join(consumer, `${name}.mjs`);
        await writeFile(entry, source);
        const text = await minified(entry, join(consumer, `${name}.out.js`));
        sizes[name as keyof typeof LIMITS] = new TextEncoder().encode(text)
          .length;
        if (name === "writePath") {
          // zod's schemas carry their names ("$ZodObject") as strings.
          assert.doesNotMatch(text, /\$Zod/, "the write path carries no zod");
        }
      }
      t.diagnostic(
        `esbuild --bundle --minify --format=esm of the installed package: { startCall, consoleAuditSink } ${
          kB(sizes.writePath)
        } (limit ${kB(LIMITS.writePath)}), all of mod.ts ${
          kB(sizes.everything)
        } (limit ${kB(LIMITS.everything)})`,
      );
      assert.ok(sizes.writePath <= LIMITS.writePath, kB(sizes.writePath));
      assert.ok(sizes.everything <= LIMITS.everything, kB(sizes.everything));
    },
  );

  test("a worker bundled from the package runs on workerd", SLOW, async () => {
    const consumer = installed();
    const bundle = await bundleWorker(
      join(consumer, "worker.mjs"),
      join(consumer, "worker.js"),
    );
    assert.deepEqual(bundle.nodeImports, []);
    assert.doesNotMatch(bundle.text, /\$Zod/, "the worker carries no zod");
    const workerd = await startWorkerd(consumer, "worker.js", WEB_ONLY_FLAGS);
    try {
      const response = await fetch(`${workerd.url}/audit?caller=package-1`);
      assert.equal(response.status, 200);
      const { call_id: callId } = await response.json() as { call_id: string };
      const deadline = Date.now() + 30_000;
      let line: string | undefined;
      while (line === undefined) {
        line = workerd.stdout().split("\n").find((l) => l.includes(callId));
        if (line !== undefined) break;
        assert.ok(Date.now() < deadline, `no line with ${callId}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const event = parseCallEvent(line);
      assert.equal(event.caller_id, "package-1");
      assert.equal(event.tool_id, "ref:package.edge");
    } finally {
      await workerd.stop();
    }
    assert.doesNotMatch(workerd.stderr(), /uncaught|error: /i);
  });

  test("removes the temporary directory", async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
});
