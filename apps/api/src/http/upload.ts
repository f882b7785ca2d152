import busboy from 'busboy';
import type { Request } from 'express';
import { badRequest, payloadTooLarge, type HttpError } from './errors';

export interface UploadFormOptions {
  maxBytes: number;
  /** Text fields accepted; others are refused (400). Undefined: text fields are ignored. */
  fields?: readonly string[];
  /** Says what the form must hold, for the 400 on a non-multipart body. */
  expected: string;
  /** The file field's name, named in the 400 when the file is missing or repeated. */
  file?: string;
}

/**
 * Reads a multipart form with exactly one file into memory, never more than `maxBytes` of it:
 * past that busboy stops counting and the request is answered 413; a declared Content-Length
 * over the cap is refused before reading at all.
 */
export function readUploadForm(req: Request, options: UploadFormOptions): Promise<{ fields: Record<string, string>; archive: Buffer }> {
  const { maxBytes } = options;
  const declared = Number(req.header('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) {
    req.resume();
    return Promise.reject(payloadTooLarge(`The upload exceeds ${maxBytes} bytes.`, { maxBytes }));
  }
  const allowed = options.fields;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      const fieldCount = allowed ? allowed.length : 10;
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: fieldCount, fieldSize: 1024, parts: fieldCount + 2 } });
    } catch {
      reject(badRequest(`Expected multipart/form-data with ${options.expected}.`));
      return;
    }
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let failure: HttpError | null = null;
    let files = 0;
    parser.on('field', (name, value, info) => {
      if (!allowed) return;
      if (info.valueTruncated) failure ??= badRequest('Invalid form.', [{ path: name, message: 'value too long' }]);
      else if (!allowed.includes(name)) failure ??= badRequest('Invalid form.', [{ path: name, message: 'unknown field' }]);
      else fields[name] = value;
    });
    parser.on('file', (_name, stream) => {
      files++;
      stream.on('data', (chunk: Buffer) => {
        if (!failure) chunks.push(chunk);
      });
      stream.on('limit', () => {
        failure = payloadTooLarge(`The archive exceeds ${maxBytes} bytes.`, { maxBytes });
        chunks.length = 0;
      });
    });
    const oneFile = () => badRequest('Send exactly one archive file.', [{ path: options.file ?? 'file', message: 'exactly one file is required' }]);
    parser.on('filesLimit', () => {
      failure ??= oneFile();
    });
    parser.on('fieldsLimit', () => {
      failure ??= badRequest('Too many form fields.');
    });
    parser.on('partsLimit', () => {
      failure ??= badRequest('Too many form parts.');
    });
    parser.on('error', (error: Error) => reject(badRequest(`Malformed multipart body: ${error.message}`)));
    parser.on('close', () => {
      if (failure) reject(failure);
      else if (files !== 1) reject(oneFile());
      else resolve({ fields, archive: Buffer.concat(chunks) });
    });
    req.pipe(parser);
  });
}
