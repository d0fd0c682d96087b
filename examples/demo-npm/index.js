"use strict";

/** Return a friendly greeting for `name`. */
function greet(name) {
  return `Hello, ${name}!`;
}

module.exports = { greet };
