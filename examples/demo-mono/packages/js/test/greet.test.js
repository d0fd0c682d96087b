const test = require("node:test");
const assert = require("node:assert");
const { greet } = require("..");

test("greets by name", () => {
  assert.strictEqual(greet("world"), "Hello, world!");
});
