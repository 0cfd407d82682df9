// Files attached to invoices and credit notes (PUT/POST …/{id}/Attachments/{FileName}) with Xero's limits:
// at most 10 files a document, 10 MB a file (enforced by the infrastructure's body reader, which lets
// attachment uploads past the 3.5 MB write limit up to limits.maxAttachmentBytes: 413 beyond), and only the file types Xero's Attachments documentation lists, recognised by the
// file name's extension (Xero answers the MimeType from it, whatever Content-Type the upload carried).
import { newId } from './ids';
import type { AttachmentRecord, DocumentRecord } from './model';
import type { Json } from './serialize';

export const MAX_ATTACHMENTS_PER_DOCUMENT = 10;

/** Xero's supported attachment types, by extension. */
const MIME_TYPES: Record<string, string> = {
  '7z': 'application/x-7z-compressed', bmp: 'image/bmp', csv: 'text/csv', doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', eml: 'message/rfc822',
  gif: 'image/gif', jpeg: 'image/jpeg', jpg: 'image/jpg', keynote: 'application/x-iwork-keynote-sffkey',
  msg: 'application/vnd.ms-outlook', numbers: 'application/x-iwork-numbers-sffnumbers',
  odf: 'application/vnd.oasis.opendocument.formula', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odt: 'application/vnd.oasis.opendocument.text', pages: 'application/x-iwork-pages-sffpages', pdf: 'application/pdf',
  png: 'image/png', ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', rar: 'application/x-rar-compressed',
  rtf: 'application/rtf', tif: 'image/tiff', tiff: 'image/tiff', txt: 'text/plain', xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', zip: 'application/zip',
};

export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(MIME_TYPES);

/** The MimeType Xero gives a file of this name, or undefined for a type it does not accept. */
export function mimeTypeOf(fileName: string): string | undefined {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? undefined : MIME_TYPES[fileName.slice(dot + 1).toLowerCase()];
}

export interface AttachInput {
  fileName: string;
  content: Buffer;
  includeOnline: boolean;
  appId: string;
  now: number;
}

/**
 * Attach a file (a file of the same name is replaced, keeping the count), or the validation messages that
 * refuse it. Changes nothing when refused.
 */
export function attachFile(doc: DocumentRecord, input: AttachInput): { ok: true; attachment: AttachmentRecord } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const name = input.fileName.trim();
  const mimeType = mimeTypeOf(name);
  if (name === '') errors.push('A file name must be given for an attachment.');
  else if (!mimeType) errors.push(`The file type of '${name}' is not supported. Supported types: ${SUPPORTED_EXTENSIONS.join(', ')}.`);
  if (input.content.length === 0) errors.push('The attachment is empty.');
  const existing = doc.attachments ?? [];
  const replaced = existing.find((a) => a.FileName.toLowerCase() === name.toLowerCase());
  if (!replaced && existing.length >= MAX_ATTACHMENTS_PER_DOCUMENT) errors.push(`A document can have at most ${MAX_ATTACHMENTS_PER_DOCUMENT} attachments.`);
  if (input.includeOnline && doc.Type !== 'ACCREC' && doc.Type !== 'ACCRECCREDIT') errors.push('IncludeOnline is only available for sales invoices and credit notes.');
  if (errors.length) return { ok: false, errors };
  const attachment: AttachmentRecord = {
    AttachmentID: replaced?.AttachmentID ?? newId(),
    FileName: name,
    MimeType: mimeType!,
    ContentLength: input.content.length,
    IncludeOnline: input.includeOnline,
    contentBase64: input.content.toString('base64'),
    createdByAppId: input.appId,
    CreatedDateUTC: input.now,
  };
  doc.attachments = replaced ? existing.map((a) => (a === replaced ? attachment : a)) : [...existing, attachment];
  doc.UpdatedDateUTC = input.now;
  return { ok: true, attachment };
}

/** By AttachmentID or by file name (case-insensitive), as Xero's two GET routes share one path shape. */
export function findAttachment(doc: DocumentRecord, idOrName: string): AttachmentRecord | undefined {
  const wanted = idOrName.toLowerCase();
  return (doc.attachments ?? []).find((a) => a.AttachmentID === wanted) ?? (doc.attachments ?? []).find((a) => a.FileName.toLowerCase() === wanted);
}

export function serializeAttachment(baseUrl: string, endpoint: string, doc: DocumentRecord, a: AttachmentRecord): Json {
  return {
    AttachmentID: a.AttachmentID,
    FileName: a.FileName,
    Url: `${baseUrl}/api.xro/2.0/${endpoint}/${doc.id}/Attachments/${encodeURIComponent(a.FileName)}`,
    MimeType: a.MimeType,
    ContentLength: a.ContentLength,
    ...(doc.Type === 'ACCREC' || doc.Type === 'ACCRECCREDIT' ? { IncludeOnline: a.IncludeOnline } : {}),
  };
}
