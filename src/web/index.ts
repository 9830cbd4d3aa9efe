/** `resque-ts/web`: the dashboard as a request handler to mount, or served alone. */
export { createDashboard, serveDashboard, type DashboardOptions, type DashboardHandler } from './app';
export type { DashboardAuth } from './security';
