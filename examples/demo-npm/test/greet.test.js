"use strict";

// Node's built-in test runner (`node --test`), so the example needs nothing installed.
const assert = require("node:assert/strict");
const test = require("node:test");

const { greet } = require("..");

test("greet says hello", () => {
  assert.equal(greet("world"), "Hello, world!");
});
