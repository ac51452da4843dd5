// Shared by the tests: what a getter, a fallback, a fan-out member, an
// onError or a destination may throw, from the plain to the hostile (a
// revoked proxy, an Error whose message getter throws).

import fc from "fast-check";

/**
 * Values code can throw, some of them hostile to whatever reads them: a
 * name, and a maker of a fresh one.
 */
export function throwables(): [string, () => unknown][] {
  const withMessage = (error: Error, descriptor: PropertyDescriptor) =>
    Object.defineProperty(error, "message", descriptor);
  return [
    ["undefined", () => undefined],
    ["null", () => null],
    ["a number", () => 42],
    ["a string", () => "boom"],
    ["a symbol", () => Symbol("boom")],
    ["a BigInt", () => 7n],
    ["a function", () => () => {}],
    ["a plain object", () => ({ message: "boom" })],
    [
      "an object whose toString throws",
      () => ({
        toString() {
          throw new Error("toString");
        },
      }),
    ],
    ["a calltrail-looking TypeError", () => new TypeError("calltrail: x")],
    [
      "a revoked proxy",
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    [
      "a proxy whose every trap throws",
      () =>
        new Proxy({}, {
          getPrototypeOf() {
            throw new Error("getPrototypeOf trap");
          },
          get() {
            throw new Error("get trap");
          },
        }),
    ],
    [
      "a TypeError whose message is a number",
      () => withMessage(new TypeError("x"), { value: 5 }),
    ],
    [
      "a TypeError whose message getter throws",
      () =>
        withMessage(new TypeError("x"), {
          get() {
            throw new Error("message getter");
          },
        }),
    ],
    [
      "an Error whose message is a symbol",
      () => withMessage(new Error("x"), { value: Symbol("m") }),
    ],
    [
      "an Error whose message getter throws",
      () =>
        withMessage(new Error("x"), {
          get() {
            throw new Error("message getter");
          },
        }),
    ],
  ];
}

/** Any of {@linkcode throwables}, as fast-check shrinks toward the first. */
export const thrownArb: fc.Arbitrary<{ name: string; value: unknown }> = fc
  .constantFrom(...throwables()).map(([name, make]) => ({
    name,
    value: make(),
  }));
