// Shared by the benchmarks that read memory or latency: a full garbage
// collection where the runtime exposes one.

/** V8's gc() with options (Node, Deno: `--expose-gc`). */
type V8Gc = (options?: {
  type: "major";
  execution: "sync";
  flavor: "last-resort";
}) => void;

/**
 * Collects garbage: `Bun.gc(true)` on Bun; on Node and Deno when run with
 * `--expose-gc` (Deno: `--v8-flags=--expose-gc`), V8's last-resort full
 * collection, the one V8 makes under memory pressure. A plain `gc()` leaves
 * the pages it freed resident: RSS then creeps by 2 to 6 MiB over a 30 s
 * benchmark whatever the load (seen in /proc/self/smaps: V8's 256 KiB pages
 * grow resident, their number and the heap in use flat); the last-resort
 * collection gives them back, so that RSS shows what is still held.
 *
 * @returns Whether a collection could be forced.
 */
export function collectGarbage(): boolean {
  const g = globalThis as { gc?: V8Gc; Bun?: { gc(f: boolean): void } };
  if (g.Bun !== undefined) {
    g.Bun.gc(true);
    return true;
  }
  if (typeof g.gc === "function") {
    g.gc({ type: "major", execution: "sync", flavor: "last-resort" });
    return true;
  }
  return false;
}
