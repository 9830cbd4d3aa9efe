'use strict';
// Example php-resque style job, enqueued as App\Jobs\SendEmail with args {to, subject}.
module.exports = class SendEmail {
  perform() {
    const { to, subject = '(no subject)' } = this.args ?? {};
    console.log(`[SendEmail] to=${to} subject=${subject} job=${this.job.id ?? '-'}`);
    return { sent: true, to };
  }
};
