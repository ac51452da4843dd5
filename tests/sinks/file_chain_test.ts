// The writer's side of the chain: fileAuditSink(path, { chain }) keeps
// <path>.chain, one checkpoint per written batch, checked here against the
// log's bytes with node:crypto, independently of the verifier. The tamper
// matrix is in tests/cli/verify_command_test.ts.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CallEvent,
  type ChainCheckpoint,
  fileAuditSink,
  type FileAuditSinkOptions,
} from "../../mod.ts";
import {
  runChild,
  runtime,
  runUntilReady,
  tick,
  withTempDir,
} from "../_helpers.ts";
import { makeEvents } from "./children/events.ts";
import { writeBatches } from "./_write_batches.ts";
import { cli, shown } from "../cli/_cli.ts";

const CHILD = join(import.meta.dirname!, "children", "chain_child.ts");
const KEY = new Uint8Array(32).fill(1);

/** Writes `batches` through a sink, one flush per batch; returns it closed. */
async function write(
  path: string,
  batches: CallEvent[][],
  options: FileAuditSinkOptions,
) {
  const sink = await writeBatches(path, batches, options);
  await sink.close();
  return sink;
}

/** Three batches of 5, 1 and 40 events. */
function batches(): CallEvent[][] {
  const events = makeEvents(46);
  return [events.slice(0, 5), events.slice(5, 6), events.slice(6)];
}

interface Sidecar {
  lines: string[];
  checkpoints: ChainCheckpoint[];
}

async function sidecar(path: string): Promise<Sidecar> {
  const text = await readFile(`${path}.chain`, "utf8");
  assert.ok(text.endsWith("\n"), "the sidecar ends with a newline");
  const lines = text.slice(0, -1).split("\n");
  return { lines, checkpoints: lines.map((line) => JSON.parse(line)) };
}

const sha256 = (data: Uint8Array | string) =>
  createHash("sha256").update(data).digest("hex");

/** Checks each checkpoint against the log, as the README describes them. */
async function assertSealed(path: string, key?: Uint8Array): Promise<Sidecar> {
  const log = await readFile(path);
  const chain = await sidecar(path);
  let offset = chain.checkpoints[0].start;
  chain.checkpoints.forEach((c, i) => {
    const where = `checkpoint ${i}: ${chain.lines[i]}`;
    assert.deepEqual(
      Object.keys(c),
      [
        "v",
        "seq",
        "start",
        "end",
        "lines",
        "sha256",
        "prev",
        "ts",
        ...(key ? ["mac"] : []),
      ],
      where,
    );
    assert.equal(c.v, 1, where);
    assert.equal(c.start, offset, `${where}: contiguous`);
    const bytes = log.subarray(c.start, c.end);
    assert.equal(c.sha256, sha256(bytes), where);
    assert.equal(c.lines, bytes.toString().split("\n").length - 1, where);
    assert.equal(bytes.at(-1), 0x0a, `${where}: whole lines`);
    if (i > 0) {
      assert.equal(c.seq, chain.checkpoints[i - 1].seq + 1, where);
      assert.equal(c.prev, sha256(chain.lines[i - 1]), where);
    }
    if (key !== undefined) {
      const unsigned = chain.lines[i].replace(/,"mac":"[0-9a-f]{64}"\}$/, "}");
      assert.equal(
        c.mac,
        createHmac("sha256", key).update(unsigned).digest("hex"),
        where,
      );
    }
    offset = c.end;
  });
  assert.equal(offset, log.length, "the last checkpoint ends at the log's end");
  return chain;
}

describe("fileAuditSink with a chain", () => {
  test("the log's bytes are those of a sink without a chain", async () => {
    await withTempDir(async (dir) => {
      const plain = join(dir.path, "plain.jsonl");
      const chained = join(dir.path, "chained.jsonl");
      await write(plain, batches(), {});
      await write(chained, batches(), { chain: { key: KEY } });
      assert.deepEqual(await readFile(chained), await readFile(plain));
    });
  });

  test("one checkpoint per written batch: its byte range, lines and SHA-256, linked to the one before", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const sink = await write(path, batches(), { chain: true });
      assert.equal(sink.stats().written, 46);
      const chain = await assertSealed(path);
      assert.deepEqual(chain.checkpoints.map((c) => c.lines), [5, 1, 40]);
      assert.equal(chain.checkpoints[0].seq, 0);
      assert.equal(chain.checkpoints[0].prev, null);
      assert.equal(chain.checkpoints[0].start, 0);
      assert.equal((await stat(`${path}.chain`)).mode & 0o777, 0o600);
    });
  });

  test("with a key, each checkpoint has the HMAC of its line without the mac; an extractable CryptoKey signs as its bytes do", async () => {
    await withTempDir(async (dir) => {
      const a = join(dir.path, "a.jsonl");
      const b = join(dir.path, "b.jsonl");
      await write(a, batches(), { chain: { key: KEY } });
      const cryptoKey = await crypto.subtle.importKey(
        "raw",
        KEY,
        { name: "HMAC", hash: "SHA-256" },
        true,
        ["sign"],
      );
      await write(b, batches(), { chain: { key: cryptoKey } });
      const sa = await assertSealed(a, KEY);
      const sb = await assertSealed(b, KEY);
      assert.equal(sa.checkpoints.length, 3);
      assert.deepEqual(
        sb.checkpoints.map((c) => c.sha256),
        sa.checkpoints.map((c) => c.sha256),
      );
    });
  });

  test("rejects a key it cannot use, saying what to give instead, and creates no file", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const hmac = (extractable: boolean, hash = "SHA-256", length = 256) =>
        crypto.subtle.importKey(
          "raw",
          new Uint8Array(length / 8).fill(2),
          { name: "HMAC", hash, length },
          extractable,
          ["sign"],
        );
      const cases: [unknown, RegExp][] = [
        [
          new Uint8Array(31),
          /31 bytes long; it must be at least 32 random bytes/,
        ],
        [
          "a string key",
          /must be a Uint8Array of at least 32 bytes or an HMAC SHA-256 CryptoKey/,
        ],
        [await hmac(false), /must be extractable/],
        [await hmac(true, "SHA-512"), /HMAC SHA-256 CryptoKey/],
        [
          await hmac(true, "SHA-256", 128),
          /128 bits long; it must be at least 256/,
        ],
      ];
      for (const [key, message] of cases) {
        await assert.rejects(
          fileAuditSink(path, { chain: { key: key as Uint8Array } }),
          message,
        );
      }
      await assert.rejects(stat(path), { code: "ENOENT" });
      await assert.rejects(stat(`${path}.chain`), { code: "ENOENT" });
    });
  });

  test("a sink opened again goes on with the chain; bytes it finds unsealed stay outside, and onError hears of them", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      await write(path, batches(), { chain: { key: KEY } });
      const [more, extra] = [makeEvents(3, 100), makeEvents(2, 200)];
      // A writer without the chain adds two lines: no checkpoint seals them.
      await write(path, [extra], {});
      const errors: Error[] = [];
      await write(path, [more], {
        chain: { key: KEY },
        onError: (e) => void errors.push(e),
      });
      const chain = await sidecar(path);
      assert.equal(chain.checkpoints.length, 4);
      const [third, fourth] = chain.checkpoints.slice(2);
      assert.equal(fourth.seq, 3);
      assert.equal(fourth.prev, sha256(chain.lines[2]));
      assert.ok(fourth.start > third.end, "a gap");
      assert.equal(errors.length, 1);
      assert.match(
        errors[0].message,
        /bytes after its chain's last checkpoint .* which an earlier writer did not seal/,
      );
      const verified = await cli(
        "verify",
        "--key-file",
        await keyFile(dir.path),
        path,
      );
      assert.equal(verified.code, 0, shown(verified));
      assert.match(
        verified.stdout,
        /note: bytes \d+ to \d+ \(from line 47\) are outside the chain/,
      );
    });
  });

  test("a sink refuses a chain written with another key, or without one", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      await write(path, batches(), { chain: { key: KEY } });
      await assert.rejects(
        fileAuditSink(path, { chain: { key: new Uint8Array(32).fill(9) } }),
        /was not signed with this key: a chain keeps one key/,
      );
      await assert.rejects(
        fileAuditSink(path, { chain: true }),
        /written with a key, and this sink has none/,
      );
      const plain = join(dir.path, "plain.jsonl");
      await write(plain, batches(), { chain: true });
      await assert.rejects(
        fileAuditSink(plain, { chain: { key: KEY } }),
        /written without a key, and this sink has one/,
      );
    });
  });

  test("a torn checkpoint at the sidecar's end is cut off when the sink opens, and reported", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      await write(path, batches(), { chain: true });
      const whole = await readFile(`${path}.chain`, "utf8");
      await writeFile(`${path}.chain`, `${whole}{"v":1,"seq":3,"sta`);
      const errors: Error[] = [];
      await write(path, [makeEvents(2, 50)], {
        chain: true,
        onError: (e) => void errors.push(e),
      });
      assert.match(
        errors[0]?.message ?? "",
        /ended with a torn checkpoint \(19 bytes/,
      );
      await assertSealed(path);
    });
  });

  test("a sidecar longer than the tail the sink reads (16 KiB) goes on from its last checkpoint", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const events = makeEvents(80);
      await write(path, events.map((event) => [event]), { chain: true });
      assert.ok((await stat(`${path}.chain`)).size > 16 * 1024);
      await write(path, [makeEvents(2, 100)], { chain: true });
      const chain = await assertSealed(path);
      assert.equal(chain.checkpoints.length, 81);
      assert.equal(chain.checkpoints[80].seq, 80);
    });
  });

  test("a log cut shorter than its chain: the sink opens, goes on, and onError says verify will fail there", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      await write(path, batches(), { chain: true });
      const log = await readFile(path);
      await writeFile(path, log.subarray(0, log.length - 10));
      const errors: Error[] = [];
      await write(path, [makeEvents(1, 100)], {
        chain: true,
        onError: (e) => void errors.push(e),
      });
      assert.equal(errors.length, 1);
      assert.match(
        errors[0].message,
        new RegExp(
          `the audit file is ${
            log.length - 10
          } bytes long, but its chain's last checkpoint .* seals it up to byte ${log.length}: it was cut or replaced`,
        ),
      );
      const verified = await cli("verify", path);
      assert.equal(verified.code, 1, shown(verified));
    });
  });

  test("a sidecar that is not a chain, or cannot be read, stops the sink from opening, and no log is made", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      await writeFile(`${path}.chain`, "not a checkpoint\n");
      await assert.rejects(
        fileAuditSink(path, { chain: true }),
        /the last line of the chain .* is not a checkpoint .* move the chain away to start a new one/,
      );
      const other = join(dir.path, "other.jsonl");
      await mkdir(`${other}.chain`);
      await assert.rejects(
        fileAuditSink(other, { chain: true }),
        /cannot read the chain ".*other\.jsonl\.chain" \(/,
      );
      await assert.rejects(stat(path), { code: "ENOENT" });
      await assert.rejects(stat(other), { code: "ENOENT" });
    });
  });

  test("onCheckpoint hears each checkpoint and its line as written; what it throws goes to onError", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const heard: [ChainCheckpoint, string][] = [];
      const errors: Error[] = [];
      await write(path, batches(), {
        onError: (e) => void errors.push(e),
        chain: {
          key: KEY,
          onCheckpoint(checkpoint, line) {
            heard.push([checkpoint, line]);
            if (checkpoint.seq === 1) throw new Error("the shipper is down");
          },
        },
      });
      const chain = await sidecar(path);
      assert.deepEqual(heard.map(([, line]) => line), chain.lines);
      assert.deepEqual(heard.map(([c]) => c), chain.checkpoints);
      assert.equal(errors.length, 1);
      assert.match(
        errors[0].message,
        /onCheckpoint threw \(the shipper is down\)/,
      );
    });
  });

  test("a chain that cannot be written stops the sink: the batch counts as failed and onError says why", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      await symlink("/dev/full", `${path}.chain`);
      const errors: Error[] = [];
      const sink = await fileAuditSink(path, {
        chain: true,
        onError: (e) => void errors.push(e),
      });
      for (const event of makeEvents(3)) sink.onCall(event);
      await sink.flush();
      sink.onCall(makeEvents(1)[0]);
      await sink.close();
      assert.equal(sink.stats().failed, 3);
      assert.equal(sink.stats().written, 0);
      assert.match(
        errors[0].message,
        /its checkpoint could not be written .* so the sink stops/,
      );
    });
  });

  test("the exit drain seals what it writes (process.exit() without close())", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const child = await runChild(CHILD, ["exit", path, "key"]);
      assert.equal(child.code, 0, `${runtime}: ${child.stderr}`);
      assert.equal((await readFile(path, "utf8")).split("\n").length - 1, 5000);
      await assertSealed(path, KEY);
    });
  });

  test("killed mid-batch: the log verifies up to its last checkpoint, and the unsealed tail is reported, not a failure", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const { child, result: running } = await runUntilReady(CHILD, [
        "kill",
        path,
        "key",
      ]);
      while ((await stat(path)).size < 512 * 1024) await tick();
      child!.kill("SIGKILL");
      const result = await running;
      assert.equal(result.signal, "SIGKILL", result.stderr);
      const log = await readFile(path);
      const chain = await sidecar(path).catch(() => undefined);
      // Whatever instant the kill came at: the chain is a prefix of the log.
      const last = chain?.checkpoints.at(-1);
      assert.ok(last !== undefined && last.end <= log.length);
      const verified = await cli(
        "verify",
        "--key-file",
        await keyFile(dir.path),
        path,
      );
      assert.equal(verified.code, 0, shown(verified));
      assert.match(verified.stdout, /MACs checked/);
      // Cut the log inside its last batch, as a kill mid-write leaves it.
      let cut = last.start + Math.floor((last.end - last.start) / 2);
      if (log[cut - 1] === 0x0a) cut++; // Inside a line, not after one.
      await writeFile(path, log.subarray(0, cut));
      const chainText = await readFile(`${path}.chain`, "utf8");
      await writeFile(
        `${path}.chain`,
        chainText.slice(
          0,
          chainText.lastIndexOf("\n", chainText.length - 2) + 1,
        ),
      );
      const torn = await cli(
        "verify",
        "--key-file",
        await keyFile(dir.path),
        path,
      );
      assert.equal(torn.code, 0, shown(torn));
      assert.match(torn.stdout, /torn \(the log ends without a newline\)/);
      assert.match(
        torn.stdout,
        /come after the last checkpoint: no checkpoint seals them/,
      );
    });
  });
});

/** The test key in a file, as --key-file reads it. */
async function keyFile(dir: string): Promise<string> {
  const path = join(dir, "audit.key");
  await writeFile(path, KEY);
  return path;
}
