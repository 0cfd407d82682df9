// Reads every request body once, up front, so the call log can record it, OAuth 1.0a can sign over a
// form-encoded body (RFC 5849 §3.4.1.3), the developer portal can read multipart uploads, and Xero's
// 3.5 MB write limit is enforced in one place. JSON and form bodies are parsed into req.body; because
// the stream is then consumed, body-parser middleware further down (express.json()) sees the request
// as already read and leaves req.body as set here. The raw bytes stay on req.rawBody.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendXeroProblem } from '../identity/problems';

declare module 'http' {
  interface IncomingMessage {
    rawBody?: Buffer;
    /** Set when a JSON body did not parse; answered after authentication, as Xero does. */
    bodyParseError?: string;
  }
}

export function readBody(maxBytes: (req: Request) => number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return next();
    const limit = maxBytes(req);
    if (declared > limit) return tooLarge(res, limit);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && !refused) {
        refused = true;
        tooLarge(res, limit);
        req.resume();
        return;
      }
      if (!refused) chunks.push(chunk);
    });
    req.on('error', next);
    req.on('end', () => {
      if (refused) return;
      const raw = Buffer.concat(chunks);
      req.rawBody = raw;
      parseInto(req, raw);
      next();
    });
  };
}

function parseInto(req: Request, raw: Buffer): void {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) {
    const text = raw.toString('utf8');
    if (text.trim() === '') return;
    try {
      req.body = JSON.parse(text);
    } catch (err) {
      req.bodyParseError = `JSON for post data was invalid,${(err as Error).message}`;
    }
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    const form: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
      const existing = form[key];
      form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    req.body = form;
  }
}

function tooLarge(res: Response, limit: number): void {
  sendXeroProblem(res, 413, `The request body is larger than ${limit} bytes`);
}
