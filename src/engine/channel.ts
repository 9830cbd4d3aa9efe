/**
 * Run `then` once a child's IPC channel has closed, so every message it sent before exiting has
 * been read (Node may emit 'exit' first); at most 1 s after its exit.
 */
import type { ChildProcess } from 'node:child_process';

export function afterChannelClosed(child: ChildProcess, then: () => void): void {
  if (!child.connected) return then();
  let done = false;
  const once = (): void => { if (!done) { done = true; clearTimeout(t); then(); } };
  const t = setTimeout(once, 1000);
  child.once('disconnect', once);
}
