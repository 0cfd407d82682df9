// …/{Invoices|CreditNotes}/{id}/Attachments: list (GET), one file by AttachmentID or FileName (GET, the
// bytes), attach (PUT; POST replaces a file of that name, as PUT does here). Limits in ../attachments.ts.
import { Router, type Request } from 'express';
import { attachFile, findAttachment, serializeAttachment } from '../attachments';
import { findDocument, KINDS, type DocumentKind } from '../documents';
import { queryParam, sendCollection, sendNotFound, sendValidationError } from '../http';
import { scopeOf } from './common';

const baseUrlOf = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

function attachmentRoutes(router: Router, kind: DocumentKind): void {
  const { endpoint } = KINDS[kind];

  router.get(`/${endpoint}/:id/Attachments`, (req, res) => {
    const doc = findDocument(scopeOf(res).book, kind, String(req.params.id));
    if (!doc) return sendNotFound(res);
    sendCollection(res, 'Attachments', (doc.attachments ?? []).map((a) => serializeAttachment(baseUrlOf(req), endpoint, doc, a)));
  });

  router.get(`/${endpoint}/:id/Attachments/:file`, (req, res) => {
    const doc = findDocument(scopeOf(res).book, kind, String(req.params.id));
    const attachment = doc && findAttachment(doc, String(req.params.file));
    if (!attachment) return sendNotFound(res);
    res.status(200).type(attachment.MimeType).send(Buffer.from(attachment.contentBase64, 'base64'));
  });

  for (const method of ['put', 'post'] as const) {
    router[method](`/${endpoint}/:id/Attachments/:file`, (req, res) => {
      const { book, now, auth } = scopeOf(res);
      const doc = findDocument(book, kind, String(req.params.id));
      if (!doc) return sendNotFound(res);
      const includeOnline = (queryParam(req, 'IncludeOnline') ?? queryParam(req, 'includeOnline') ?? '').toLowerCase() === 'true';
      const outcome = attachFile(doc, { fileName: String(req.params.file), content: req.rawBody ?? Buffer.alloc(0), includeOnline, appId: auth.appId, now });
      if (!outcome.ok) return sendValidationError(res, { FileName: String(req.params.file) }, outcome.errors);
      sendCollection(res, 'Attachments', [serializeAttachment(baseUrlOf(req), endpoint, doc, outcome.attachment)]);
    });
  }
}

export function documentAttachmentRoutes(): Router {
  const router = Router();
  attachmentRoutes(router, 'invoice');
  attachmentRoutes(router, 'creditnote');
  return router;
}
