// Portal forms arrive as multipart/form-data (certificate upload) or urlencoded. Multipart is parsed
// with the WHATWG FormData parser built into Node (undici), over the raw body read up front, so no
// extra dependency is needed.
import type { Request } from 'express';

export interface UploadedFile {
  filename: string;
  data: Buffer;
}

export interface FormFields {
  fields: Map<string, string[]>;
  files: Map<string, UploadedFile>;
}

export async function readForm(req: Request): Promise<FormFields> {
  const fields = new Map<string, string[]>();
  const files = new Map<string, UploadedFile>();
  const add = (name: string, value: string): void => {
    fields.set(name, [...(fields.get(name) ?? []), value]);
  };
  const type = req.get('content-type') ?? '';
  if (type.toLowerCase().startsWith('multipart/form-data')) {
    const parsed = await new Response(req.rawBody ?? Buffer.alloc(0), { headers: { 'content-type': type } }).formData();
    for (const [name, value] of parsed) {
      if (typeof value === 'string') add(name, value);
      else files.set(name, { filename: value.name, data: Buffer.from(await value.arrayBuffer()) });
    }
    return { fields, files };
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(body)) {
    for (const v of Array.isArray(value) ? value : [value]) add(name, String(v));
  }
  return { fields, files };
}
