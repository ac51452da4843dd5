// Shared by the benchmarks that read memory or latency: a full garbage
// collection where the runtime exposes one.

/**
 * Collects garbage: `Bun.gc(true)` on Bun; `gc()` on Node and Deno when run
 * with `--expose-gc` (Deno: `--v8-flags=--expose-gc`).
 *
 * @returns Whether a collection could be forced.
 */
export function collectGarbage(): boolean {
  const g = globalThis as { gc?: () => void; Bun?: { gc(f: boolean): void } };
  if (g.Bun !== undefined) {
    g.Bun.gc(true);
    return true;
  }
  if (typeof g.gc === "function") {
    g.gc();
    return true;
  }
  return false;
}
