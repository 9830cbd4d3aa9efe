'use strict';
// Benchmark job: does nothing (the same as node-resque's `{ perform: async () => null }`).
module.exports = class Noop {
  perform() {}
};
