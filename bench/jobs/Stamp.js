'use strict';
// Benchmark job: enqueue → perform latency probe (see bench/lib/stamp.js).
const { stamp } = require('../lib/stamp');

module.exports = class Stamp {
  perform(args) {
    return stamp(args);
  }
};
