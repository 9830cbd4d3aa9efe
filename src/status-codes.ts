/**
 * php-resque's status codes and the TTL of a final status (WIRE.md §6), in one place for the
 * TypeScript that reads them and the Lua that writes them (interpolated into the scripts).
 */
export const STATUS_WAITING = 1;
export const STATUS_RUNNING = 2;
export const STATUS_FAILED = 3;
export const STATUS_COMPLETE = 4;
export type StatusCode = 1 | 2 | 3 | 4;

/** Seconds a finished status is kept (php-resque). */
export const STATUS_TTL = 86400;
