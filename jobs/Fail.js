'use strict';
// Example job that always fails, to see a failure record.
module.exports = class Fail {
  perform() {
    throw new Error(this.args?.message ?? 'This job always fails');
  }
};
