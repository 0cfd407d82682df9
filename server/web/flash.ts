import type { Request } from 'express';
import 'express-session';

// One-shot messages across a POST → redirect → GET (kept in the session, shown once).
declare module 'express-session' {
  interface SessionData {
    flash?: { kind: 'success' | 'error'; message: string };
  }
}

export function setFlash(req: Request, kind: 'success' | 'error', message: string): void {
  if (req.session) req.session.flash = { kind, message };
}

export function takeFlash(req: Request): { kind: 'success' | 'error'; message: string } | null {
  const flash = req.session?.flash ?? null;
  if (flash && req.session) delete req.session.flash;
  return flash;
}
