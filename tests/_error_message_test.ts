// errorMessage alone: the message of any thrown value, never a throw.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { errorMessage } from "../_error_message.ts";
import { hostileValueArb } from "./_arbitraries.ts";
import { throwables, thrownArb } from "./_throwables.ts";

describe("errorMessage", () => {
  test("reads an Error's own message, and a DOMException's", () => {
    assert.equal(errorMessage(new TypeError("bad type")), "bad type");
    assert.equal(
      errorMessage(new DOMException("it was aborted", "AbortError")),
      "it was aborted",
    );
    assert.equal(
      errorMessage(AbortSignal.abort().reason),
      (AbortSignal.abort().reason as DOMException).message,
    );
    assert.equal(errorMessage({ message: "plain" }), "plain");
  });

  test("describes what has no readable message", () => {
    assert.equal(errorMessage("boom"), 'the string "boom"');
    assert.equal(errorMessage(42), "42");
    assert.equal(errorMessage(null), "null");
    assert.equal(errorMessage(undefined), "undefined (the key is missing)");
    assert.equal(errorMessage(Symbol("s")), "a symbol");
    const getter = Object.defineProperty(new Error("x"), "message", {
      get() {
        throw new Error("message getter");
      },
    });
    assert.equal(errorMessage(getter), "an Error whose message is unreadable");
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.equal(errorMessage(proxy), "a revoked proxy");
  });

  test("never calls a message getter", () => {
    let calls = 0;
    const error = Object.defineProperty(new Error("x"), "message", {
      get() {
        calls++;
        return "from a getter";
      },
    });
    errorMessage(error);
    assert.equal(calls, 0);
  });

  test("never throws, and always gives a string", () => {
    for (const [name, make] of throwables()) {
      assert.equal(typeof errorMessage(make()), "string", name);
    }
    fc.assert(
      fc.property(fc.oneof(hostileValueArb, thrownArb), (value) => {
        assert.equal(typeof errorMessage(value), "string");
      }),
    );
  });
});
