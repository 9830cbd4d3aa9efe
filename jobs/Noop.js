'use strict';
// Example job that does nothing (handy for benchmarks).
module.exports = class Noop {
  perform() {}
};
