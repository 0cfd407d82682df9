// Test-only: an Express layer in front of the emulator that reads every JSON answer of the API (not the
// /_emulator control API) and records where it disagrees with the client's types (clientTypes.ts).
import type { NextFunction, Request, Response } from 'express';
import { answerProblems } from './clientTypes';

export function recordTypeProblems(problems: string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path.startsWith('/_emulator')) return next();
    const chunks: Buffer[] = [];
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    const keep = (chunk: unknown): void => {
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    };
    res.write = ((...args: unknown[]) => { keep(args[0]); return write(...args); }) as Response['write'];
    res.end = ((...args: unknown[]) => {
      keep(args[0]);
      const text = Buffer.concat(chunks).toString('utf8');
      if (/json/.test(String(res.getHeader('content-type') ?? '')) && text) {
        problems.push(...answerProblems(JSON.parse(text), `${req.method} ${req.originalUrl} (${res.statusCode})`));
      }
      return end(...args);
    }) as Response['end'];
    next();
  };
}
