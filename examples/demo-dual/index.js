"use strict";

/** Return a friendly greeting for `name` (the same as the Python package's greet). */
function greet(name) {
  return `Hello, ${name}!`;
}

module.exports = { greet };
