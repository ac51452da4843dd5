// Bundles a worker with esbuild's JS API, as a deployment tool would for
// Cloudflare Workers: ESM, browser platform, worker conditions. Reports any
// `node:` module the bundle still imports.

import { build, type BuildOptions, stop } from "esbuild";
import { readFile } from "node:fs/promises";

/** What the bundle is and what it imports. */
export interface WorkerBundle {
  /** The bundle's path. */
  path: string;
  /** The bundle's text. */
  text: string;
  /** Each `node:` module (or bare Node builtin) the bundle imports. */
  nodeImports: string[];
}

const NODE_BUILTIN =
  /^(?:node:|(?:assert|buffer|child_process|crypto|events|fs|http|https|net|os|path|process|stream|tls|url|util|worker_threads|zlib)(?:\/|$))/;

// import ... from "node:x", import "node:x", import("node:x"),
// require("node:x"), export ... from "node:x".
const NODE_IMPORT_IN_TEXT =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](node:[^"']+)["']/g;

/**
 * Bundles `entry` into `outfile`.
 *
 * @param entry The worker's entry module.
 * @param outfile Where the bundle goes.
 * @param external Modules to leave as imports (only for the control test).
 * @returns The bundle. It rejects when esbuild fails, for example on a
 * `node:` import that the browser platform cannot resolve.
 */
export async function bundleWorker(
  entry: string,
  outfile: string,
  external: string[] = [],
): Promise<WorkerBundle> {
  const options: BuildOptions = {
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    external,
    metafile: true,
    logLevel: "silent",
  };
  try {
    const result = await build(options);
    const nodeImports = new Set<string>();
    for (const output of Object.values(result.metafile?.outputs ?? {})) {
      for (const imported of output.imports) {
        if (NODE_BUILTIN.test(imported.path)) nodeImports.add(imported.path);
      }
    }
    const text = await readFile(outfile, "utf8");
    for (const match of text.matchAll(NODE_IMPORT_IN_TEXT)) {
      nodeImports.add(match[1]);
    }
    return { path: outfile, text, nodeImports: [...nodeImports].sort() };
  } finally {
    // Ends esbuild's service process, so no runtime sees a leaked resource.
    await stop();
  }
}
