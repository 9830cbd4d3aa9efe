/**
 * The dashboard's gate:
 *   1. auth: a bearer token (`Authorization: Bearer T`, or `?token=T` once, which sets an
 *      HttpOnly SameSite=Strict cookie) or HTTP basic auth; compared in constant time (SHA-256
 *      digests through timingSafeEqual, so neither length nor content leaks);
 *   2. CSRF: every change is a POST carrying the `_csrf` field equal to the `resque_csrf` cookie
 *      (random, SameSite=Strict: a cross-site form never has it), and a browser's
 *      `Sec-Fetch-Site` / `Origin`, when sent, must say same-origin;
 *   3. read-only refuses every POST.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type DashboardAuth = { readonly token: string } | { readonly basic: { readonly user: string; readonly password: string } } | undefined;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time string equality. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    try {
      out.set(part.slice(0, i).trim(), decodeURIComponent(part.slice(i + 1).trim()));
    } catch {
      /* a malformed cookie is ignored */
    }
  }
  return out;
}

/** Whether the request may see the dashboard. */
export function authorized(req: IncomingMessage, auth: DashboardAuth, url: URL): boolean {
  if (!auth) return true;
  const header = req.headers.authorization ?? '';
  if ('token' in auth) {
    if (header.startsWith('Bearer ') && sameSecret(header.slice(7), auth.token)) return true;
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null && sameSecret(fromQuery, auth.token)) return true;
    const c = cookies(req).get('resque_token');
    return c !== undefined && sameSecret(c, auth.token);
  }
  if (!header.startsWith('Basic ')) return false;
  const text = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return false;
  // Both compared, always: no early exit tells which one was wrong.
  const userOk = sameSecret(text.slice(0, i), auth.basic.user);
  const passOk = sameSecret(text.slice(i + 1), auth.basic.password);
  return userOk && passOk;
}

export function newCsrfToken(): string {
  return randomBytes(24).toString('hex');
}

/** Why a POST is refused (CSRF), or undefined when it may go on. */
export function csrfRefusal(req: IncomingMessage, form: URLSearchParams): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${String(site)} request (Sec-Fetch-Site)`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      return 'an unreadable Origin';
    }
    if (host !== req.headers.host) return `another origin (${origin})`;
  } else if (origin === 'null') return 'an opaque origin';
  const cookie = cookies(req).get('resque_csrf');
  const sent = form.get('_csrf');
  if (!cookie || !sent || !sameSecret(cookie, sent)) return 'no valid CSRF token';
  return undefined;
}
