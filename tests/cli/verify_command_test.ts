// `calltrail verify`, run as a child process: the schema of every line, and
// the tamper matrix of the chain, one case at a time.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileAuditSink, serializeCallEvent } from "../../mod.ts";
import { withTempDir } from "../_helpers.ts";
import { makeEvent, makeEvents } from "../sinks/children/events.ts";
import { cli, shown, vectorLines, writeLog } from "./_cli.ts";

const KEY = new Uint8Array(32).fill(1);
/** Batches of this many lines: lines 1-10 are checkpoint 0's, and so on. */
const BATCH = 10;
const BATCHES = 5;

const sha256 = (text: string) =>
  createHash("sha256").update(text).digest("hex");

/** A chained, keyed log of 5 batches of 10 lines, and its key file. */
async function chainedLog(dir: string, name = "audit.jsonl") {
  const path = join(dir, name);
  const sink = await fileAuditSink(path, { chain: { key: KEY } });
  for (let b = 0; b < BATCHES; b++) {
    for (const event of makeEvents(BATCH, b * BATCH)) sink.onCall(event);
    await sink.flush();
  }
  await sink.close();
  const key = join(dir, "audit.key");
  await writeFile(key, KEY);
  return { path, key };
}

/** The file's lines, each without its "\n". */
async function lines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n").slice(0, -1);
}

async function writeLines(path: string, content: string[]): Promise<void> {
  await writeFile(path, content.map((line) => `${line}\n`).join(""));
}

/**
 * Rewrites a sidecar as someone without the key would: fields changed by
 * `edit`, every hash and link recomputed, MACs made with `key` (a wrong one)
 * or left out.
 */
function forge(
  sidecar: string[],
  log: Buffer,
  key: Uint8Array | undefined,
): string[] {
  let prev: string | null = null;
  return sidecar.map((line) => {
    const c = JSON.parse(line);
    delete c.mac;
    c.sha256 = createHash("sha256").update(log.subarray(c.start, c.end)).digest(
      "hex",
    );
    c.prev = prev;
    let text = JSON.stringify(c);
    if (key !== undefined) {
      const mac = createHmac("sha256", key).update(text).digest("hex");
      text = `${text.slice(0, -1)},"mac":"${mac}"}`;
    }
    prev = sha256(text);
    return text;
  });
}

/** Asserts a verify that fails, naming `line` (within a batch's range). */
function assertFails(child: Awaited<ReturnType<typeof cli>>, pattern: RegExp) {
  assert.equal(child.code, 1, shown(child));
  assert.match(child.stdout, /^FAILED: /m, shown(child));
  assert.match(child.stdout, pattern, shown(child));
}

describe("calltrail verify: lines", () => {
  test("a log without a chain: every line valid exits 0", async () => {
    await withTempDir(async (dir) => {
      const path = await writeLog(
        dir.path,
        "a.jsonl",
        makeEvents(30).map(serializeCallEvent),
      );
      const child = await cli("verify", path);
      assert.equal(child.code, 0, shown(child));
      assert.match(child.stdout, /30 lines, 30 events, 0 invalid, 0 torn/);
      assert.match(
        child.stdout,
        /no chain \(no .*a\.jsonl\.chain\): only the lines were checked/,
      );
      assert.match(child.stdout, /^OK: 1 file verified\.$/m);
    });
  });

  test("names the first invalid line by number (the shared vectors) and exits 1", async () => {
    await withTempDir(async (dir) => {
      const path = await writeLog(dir.path, "v.jsonl", vectorLines);
      const child = await cli("verify", path);
      assertFails(child, /v\.jsonl line 4: not a valid event: .*"tool_id"/);
    });
  });

  test("a torn last line is reported, not a failure", async () => {
    await withTempDir(async (dir) => {
      const whole = makeEvents(3).map(serializeCallEvent);
      const path = await writeLog(
        dir.path,
        "t.jsonl",
        whole,
        serializeCallEvent(makeEvent(3)).slice(0, 50),
      );
      const child = await cli("verify", path);
      assert.equal(child.code, 0, shown(child));
      assert.match(child.stdout, /note: line 4 is torn/);
    });
  });

  test("usage errors and unreadable files exit 2", async () => {
    await withTempDir(async (dir) => {
      const path = await writeLog(dir.path, "a.jsonl", []);
      const cases = [
        [[], /name a log file/],
        [["--nope", path], /Unknown option '--nope'/],
        [
          [join(dir.path, "missing.jsonl")],
          /cannot read ".*missing\.jsonl": no such file/,
        ],
        [
          ["--key-file", path, path],
          /is 0 bytes long; a chain's key is at least 32 bytes/,
        ],
        [
          ["--checkpoint", path, "--key-file", join(dir.path, "nokey"), path],
          /cannot read ".*nokey"/,
        ],
      ] as const;
      const children = await Promise.all(
        cases.map(([args]) => cli("verify", ...args)),
      );
      children.forEach((child, i) => {
        assert.equal(child.code, 2, shown(child));
        assert.match(child.stderr, cases[i][1]);
      });
      const help = await cli("verify", "--help");
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: calltrail verify/);
    });
  });
});

describe("calltrail verify: the chain's tamper matrix", () => {
  test("an intact keyed log verifies, with its MACs checked, or only its hashes without the key", async () => {
    await withTempDir(async (dir) => {
      const { path, key } = await chainedLog(dir.path);
      const keyed = await cli("verify", "--key-file", key, path);
      assert.equal(keyed.code, 0, shown(keyed));
      assert.match(
        keyed.stdout,
        /5 checkpoints \(0 to 4\), keyed, MACs checked; 50 lines/,
      );
      const unkeyed = await cli("verify", path);
      assert.equal(unkeyed.code, 0, shown(unkeyed));
      assert.match(
        unkeyed.stdout,
        /keyed, MACs NOT checked \(no --key-file\): only the hashes were/,
      );
    });
  });

  const edits: [string, (log: string[]) => string[], RegExp][] = [
    [
      "an edited line",
      (log) =>
        log.map((line, i) =>
          i === 16 ? line.replace('"duration_ms":', '"duration_ms":9') : line
        ),
      /lines 11 to 20: bytes \d+ to \d+ do not match checkpoint 1 \(10 lines\)/,
    ],
    [
      "an edited line of the same length",
      (log) =>
        log.map((line, i) => i === 16 ? line.replace("call-", "cell-") : line),
      /lines 11 to 20: .* checkpoint 1 /,
    ],
    [
      "an inserted line",
      (
        log,
      ) => [
        ...log.slice(0, 12),
        serializeCallEvent(makeEvent(99)),
        ...log.slice(12),
      ],
      /lines 11 to \d+: .* checkpoint 1 /,
    ],
    [
      "a deleted line",
      (log) => [...log.slice(0, 12), ...log.slice(13)],
      /lines 11 to \d+: .* checkpoint 1 /,
    ],
    [
      "two lines swapped inside a batch",
      (log) => [...log.slice(0, 22), log[23], log[22], ...log.slice(24)],
      /lines 21 to 30: .* checkpoint 2 /,
    ],
    [
      "two lines swapped across batches",
      (log) =>
        log.map((line, i) => i === 5 ? log[35] : i === 35 ? log[5] : line),
      /lines 1 to \d+: .* checkpoint 0 /,
    ],
    [
      "a cut in the middle (a whole batch)",
      (log) => [...log.slice(0, 20), ...log.slice(30)],
      /lines 21 to \d+: .* checkpoint 2 /,
    ],
    [
      "a cut of the log's tail",
      (log) => log.slice(0, 45),
      /line 46: the log ends at byte \d+ \(after line 45\), but checkpoint 4 seals it up to byte \d+: the log was cut/,
    ],
  ];
  for (const [name, edit, failure] of edits) {
    test(`fails on ${name}, naming where`, async () => {
      await withTempDir(async (dir) => {
        const { path, key } = await chainedLog(dir.path);
        await writeLines(path, edit(await lines(path)));
        assertFails(await cli("verify", "--key-file", key, path), failure);
        assertFails(await cli("verify", path), failure); // The hashes alone.
      });
    });
  }

  test("fails on a checkpoint deleted, or two swapped, in the sidecar", async () => {
    await withTempDir(async (dir) => {
      const { path, key } = await chainedLog(dir.path);
      const sidecar = await lines(`${path}.chain`);
      await writeLines(`${path}.chain`, [
        ...sidecar.slice(0, 2),
        ...sidecar.slice(3),
      ]);
      assertFails(
        await cli("verify", "--key-file", key, path),
        /checkpoint 3 \(line 3 of .*\) does not follow checkpoint 1/,
      );
      await writeLines(`${path}.chain`, [
        sidecar[0],
        sidecar[2],
        sidecar[1],
        ...sidecar.slice(3),
      ]);
      assertFails(
        await cli("verify", path),
        /checkpoint 2 \(line 2 of .*\) does not follow checkpoint 0/,
      );
    });
  });

  test("without the key, forged checkpoints fail: a wrong key's MACs, or none", async () => {
    await withTempDir(async (dir) => {
      const { path, key } = await chainedLog(dir.path);
      const log = await lines(path);
      log[16] = log[16].replace('"duration_ms":', '"duration_ms":9');
      await writeLines(path, log);
      const bytes = await readFile(path);
      const sidecar = await lines(`${path}.chain`);
      // The forger must also fix the byte ranges after the edited line.
      const shifted = sidecar.map((line) => {
        const c = JSON.parse(line);
        if (c.seq >= 1) c.end += 1;
        if (c.seq >= 2) c.start += 1;
        return JSON.stringify(c);
      });
      await writeLines(
        `${path}.chain`,
        forge(shifted, bytes, new Uint8Array(32).fill(7)),
      );
      assertFails(
        await cli("verify", "--key-file", key, path),
        /checkpoint 0 .* has a MAC that this key did not make/,
      );
      // Without --key-file, the hashes match: the output says the MACs were not checked.
      const unchecked = await cli("verify", path);
      assert.equal(unchecked.code, 0, shown(unchecked));
      assert.match(unchecked.stdout, /MACs NOT checked/);

      await writeLines(`${path}.chain`, forge(shifted, bytes, undefined));
      assertFails(
        await cli("verify", "--key-file", key, path),
        /has no MAC, but a key was given/,
      );
    });
  });

  test("fails with the wrong key, and when a key is given but the chain was removed", async () => {
    await withTempDir(async (dir) => {
      const { path } = await chainedLog(dir.path);
      const wrong = join(dir.path, "wrong.key");
      await writeFile(wrong, new Uint8Array(32).fill(2));
      assertFails(
        await cli("verify", "--key-file", wrong, path),
        /MAC that this key did not make/,
      );
      await rm(`${path}.chain`);
      assertFails(
        await cli("verify", "--key-file", wrong, path),
        /has no chain .* but a key was given/,
      );
    });
  });

  test("a cut of the tail of both files passes alone, and fails against a checkpoint kept elsewhere", async () => {
    await withTempDir(async (dir) => {
      const { path, key } = await chainedLog(dir.path);
      const log = await lines(path);
      const sidecar = await lines(`${path}.chain`);
      const kept = join(dir.path, "kept.chain");
      await writeLines(kept, sidecar.slice(-1)); // What onCheckpoint sent out last.
      await writeLines(path, log.slice(0, 30));
      await writeLines(`${path}.chain`, sidecar.slice(0, 3));
      const alone = await cli("verify", "--key-file", key, path);
      assert.equal(alone.code, 0, shown(alone)); // The limit the README states.
      assertFails(
        await cli("verify", "--key-file", key, "--checkpoint", kept, path),
        /the chain ends at checkpoint 2, but checkpoint 4 was kept elsewhere/,
      );
      // And a rewritten chain differs from the kept checkpoint.
      await writeLines(`${path}.chain`, sidecar);
      await writeLines(path, log);
      const ok = await cli("verify", "--checkpoint", kept, path);
      assert.equal(ok.code, 0, shown(ok));
    });
  });

  test("files given in order are checked link by link: a rotation by hand", async () => {
    await withTempDir(async (dir) => {
      const { path, key } = await chainedLog(dir.path);
      const log = await readFile(path);
      const sidecar = await lines(`${path}.chain`);
      // Split after checkpoint 1 and after 3, as rotations would: each file's
      // checkpoints count bytes from its own start, linked across files.
      const cuts = [0, 2, 4, 5];
      const files: string[] = [];
      let prev: string | null = null;
      for (let f = 0; f < 3; f++) {
        const part = sidecar.slice(cuts[f], cuts[f + 1]).map((line) =>
          JSON.parse(line)
        );
        const [base, end] = [part[0].start, part.at(-1).end];
        const rebased = part.map((c) => {
          delete c.mac;
          c.start -= base;
          c.end -= base;
          c.prev = prev;
          let text = JSON.stringify(c);
          const mac = createHmac("sha256", KEY).update(text).digest("hex");
          text = `${text.slice(0, -1)},"mac":"${mac}"}`;
          prev = sha256(text);
          return text;
        });
        const file = join(dir.path, `part${f}.jsonl`);
        await writeFile(file, log.subarray(base, end));
        await writeLines(`${file}.chain`, rebased);
        files.push(file);
      }
      const inOrder = await cli("verify", "--key-file", key, ...files);
      assert.equal(inOrder.code, 0, shown(inOrder));
      const lastAlone = await cli("verify", "--key-file", key, files[2]);
      assert.equal(lastAlone.code, 0, shown(lastAlone));
      assert.match(
        lastAlone.stdout,
        /the chain began before this file \(its first checkpoint is number 4\)/,
      );
      assertFails(
        await cli("verify", "--key-file", key, files[0], files[2]),
        /does not follow the last checkpoint of .*part0\.jsonl \(1\): a file is missing between them, or the files are out of order/,
      );
      // Out of order: part0's chain starts anew after part1 (a note), and
      // part2 does not follow part0.
      const swapped = await cli(
        "verify",
        "--key-file",
        key,
        files[1],
        files[0],
        files[2],
      );
      assertFails(
        swapped,
        /part2\.jsonl: .*does not follow the last checkpoint of .*part0\.jsonl/,
      );
      assert.match(
        swapped.stdout,
        /a new chain begins here, not linked to .*part1\.jsonl's/,
      );
    });
  });
});
