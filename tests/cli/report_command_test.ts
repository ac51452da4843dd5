/// <reference lib="dom" />
// `calltrail report`: the page it writes (on every runtime), and that page
// in a real browser. The browser part runs once per `npm test`, under Node
// 24 (not again under Node 22, Deno or Bun): the page does not depend on the
// runtime that wrote it (the first test checks its content on each), and
// one Chromium run is enough.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runtime, withTempDir } from "../_helpers.ts";
import { cli, cliIn, shown, trailLines, writeLog } from "./_cli.ts";

const SCREENSHOT = fileURLToPath(
  new URL("../../bench/results/report.png", import.meta.url),
);
/** The made-up trail's page is made as if at this time (SOURCE_DATE_EPOCH). */
const MADE_AT = "1780128000"; // 2026-05-30T08:00:00Z

/** The JSON the page embeds for machines: the stats it draws. */
function embedded(html: string): unknown {
  const json =
    /<script type="application\/json" id="calltrail-stats">(.*?)<\/script>/s
      .exec(html)?.[1];
  assert.ok(json !== undefined, "the page embeds its stats");
  return JSON.parse(json);
}

/** Writes the made-up trail (with a bad and a torn line) and its report. */
async function report(dir: string, events = 20_000) {
  const lines = trailLines(events);
  const log = await writeLog(dir, "audit.jsonl", [
    ...lines.slice(0, 50),
    "{oops",
    ...lines.slice(50),
  ], "{");
  const page = join(dir, "report.html");
  process.env.SOURCE_DATE_EPOCH = MADE_AT;
  try {
    // In the log's directory: the page names the log as given, audit.jsonl.
    const child = await cliIn(
      dir,
      "report",
      "audit.jsonl",
      "-o",
      "report.html",
    );
    assert.equal(child.code, 0, shown(child));
    assert.match(
      child.stdout,
      new RegExp(
        `^Wrote .*report\\.html: ${
          events.toLocaleString("en-US")
        } calls from 1 file\\.`,
      ),
    );
  } finally {
    delete process.env.SOURCE_DATE_EPOCH;
  }
  return { log, page, html: await readFile(page, "utf8") };
}

describe("calltrail report", () => {
  test("writes one self-contained page: inline SVG charts, no script, nothing from the network, the numbers of stats", async () => {
    await withTempDir(async (dir) => {
      const { log, html } = await report(dir.path, 3000);
      assert.match(html, /^<!doctype html>/);
      assert.match(
        html,
        /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/,
      );
      assert.doesNotMatch(html, /https?:\/\//, "no URL at all");
      assert.doesNotMatch(
        html,
        /<script(?! type="application\/json")/,
        "no script to run",
      );
      for (const id of ["over-time", "latency", "denials", "callers"]) {
        const section =
          new RegExp(`<section id="${id}">.*?</section>`, "s").exec(html)
            ?.[0] ??
            "";
        assert.match(
          section,
          /<svg class="chart"[^>]*>.*<rect class="mark/s,
          id,
        );
      }
      assert.match(
        html,
        /made by <code>calltrail report<\/code> at 2026-05-30T08:00:00\.000Z/i,
      );
      const stats = await cli("stats", "--json", log);
      assert.deepEqual(embedded(html), JSON.parse(stats.stdout));
      assert.equal(
        (embedded(html) as { invalid_lines: number }).invalid_lines,
        1,
      );
    });
  });

  test("an empty log makes a page that says so", async () => {
    await withTempDir(async (dir) => {
      const log = await writeLog(dir.path, "empty.jsonl", []);
      const page = join(dir.path, "r.html");
      const child = await cli("report", log, "-o", page);
      assert.equal(child.code, 0, shown(child));
      assert.match(await readFile(page, "utf8"), /No calls in this file\./);
    });
  });

  test("usage errors exit 2", async () => {
    await withTempDir(async (dir) => {
      const log = await writeLog(dir.path, "a.jsonl", []);
      const cases = [
        [["report", log], /name the page to write with -o report\.html/],
        [["report", "-o", join(dir.path, "r.html")], /name a log file/],
        [
          ["report", log, "-o", join(dir.path, "no", "such", "dir.html")],
          /cannot write ".*dir\.html": no such file/,
        ],
      ] as const;
      const children = await Promise.all(cases.map(([args]) => cli(...args)));
      children.forEach((child, i) => {
        assert.equal(child.code, 2, shown(child));
        assert.match(child.stderr, cases[i][1]);
      });
    });
  });

  if (runtime === "node" && Number(process.versions.node.split(".")[0]) >= 24) {
    test(
      "in headless Chromium: the charts are drawn, with no console error and no request but the page",
      { timeout: 120_000 },
      async () => {
        await withTempDir(async (dir) => {
          const { page: path, html } = await report(dir.path);
          const { chromium } = await import("playwright-core");
          const context = await chromium.launchPersistentContext(
            join(dir.path, "chromium-profile"),
            {
              executablePath: "/usr/bin/chromium",
              headless: true,
              args: [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
              ],
              viewport: { width: 1100, height: 900 },
            },
          ).catch((error) => {
            throw new Error(
              `cannot start /usr/bin/chromium (Debian's chromium package: apt-get install -y chromium): ${error.message}`,
            );
          });
          try {
            const page = await context.newPage();
            const url = pathToFileURL(path).href;
            const requests: string[] = [];
            const problems: string[] = [];
            page.on("request", (request) => void requests.push(request.url()));
            page.on("console", (message) => {
              if (["error", "warning"].includes(message.type())) {
                problems.push(`${message.type()}: ${message.text()}`);
              }
            });
            page.on(
              "pageerror",
              (error) => void problems.push(`pageerror: ${error.message}`),
            );
            await page.goto(url, { waitUntil: "load" });

            const charts = await page.evaluate(() =>
              [...document.querySelectorAll("section[id]")].map((section) => {
                const svg = section.querySelector("svg.chart");
                const box = svg?.getBoundingClientRect();
                const marks = [...(svg?.querySelectorAll(".mark") ?? [])];
                return {
                  id: section.id,
                  width: box?.width ?? 0,
                  height: box?.height ?? 0,
                  marks: marks.length,
                  drawn: marks.filter((m) => {
                    const r = m.getBoundingClientRect();
                    return r.width > 0 && r.height > 0 &&
                      getComputedStyle(m).fill !== "none";
                  }).length,
                  titled: marks.filter((m) =>
                    (m.closest("g")?.querySelector("title") ??
                      m.querySelector("title"))?.textContent
                  ).length,
                };
              })
            );
            assert.deepEqual(
              charts.map((c) => c.id),
              ["over-time", "latency", "denials", "callers"],
            );
            for (const chart of charts) {
              assert.ok(
                chart.width > 300 && chart.height > 80,
                `${chart.id} is laid out: ${JSON.stringify(chart)}`,
              );
              assert.ok(
                chart.marks > 0 && chart.drawn === chart.marks,
                `${chart.id} has marks, all drawn: ${JSON.stringify(chart)}`,
              );
              assert.equal(
                chart.titled,
                chart.marks,
                `${chart.id}: every mark has a title`,
              );
            }
            const latency = charts.find((c) => c.id === "latency")!;
            assert.equal(
              latency.marks,
              10 * 3,
              "p50, p95 and p99 of the 10 tools",
            );
            const stats = await page.evaluate(() =>
              JSON.parse(
                document.getElementById("calltrail-stats")!.textContent!,
              )
            );
            assert.deepEqual(stats, embedded(html));

            await mkdir(join(SCREENSHOT, ".."), { recursive: true });
            await page.screenshot({ path: SCREENSHOT, fullPage: true });
            assert.deepEqual(problems, [], "no console error or warning");
            assert.deepEqual(requests, [url], "no request but the page itself");
          } finally {
            await context.close();
          }
        });
      },
    );
  }
});
