'use strict';
// Example job: waits args.seconds (default 1), then returns how long it slept.
module.exports = class Sleep {
  async perform() {
    const seconds = Number(this.args?.seconds ?? 1);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return { slept: seconds };
  }
};
