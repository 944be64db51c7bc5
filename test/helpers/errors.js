'use strict';
const assert = require('node:assert/strict');

/** Asserts that fn() throws an error with this `code` (and a message matching `message`, if given). */
function expectCode(fn, code, message) {
  assert.throws(fn, (e) => {
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

module.exports = { expectCode };
