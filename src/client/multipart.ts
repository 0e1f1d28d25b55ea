// A multipart/form-data body built around a file stream, so that an archive of any size is uploaded
// without being read into memory, and with an exact Content-Length (the registry refuses an announced
// oversize upload before reading it, and the progress bar needs the total).
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export interface MultipartFile {
  field: string;
  path: string;
  size: number;
  filename: string;
  contentType: string;
}

export interface StreamBody {
  stream: Readable;
  length: number;
  contentType: string;
}

function quoted(value: string): string {
  // A form-data parameter is a quoted string: escape what would end it or break the header line.
  return value.replace(/["\\\r\n]/g, (char) => encodeURIComponent(char));
}

export function multipartBody(fields: Record<string, string>, file: MultipartFile): StreamBody {
  const boundary = `----packctl${randomBytes(16).toString('hex')}`;
  // Text fields first: the registry reads them before it has to decide anything about the file.
  const head = [
    ...Object.entries(fields).map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`,
    ),
    `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.filename)}"\r\n` +
      `Content-Type: ${file.contentType}\r\n\r\n`,
  ].join('');
  const preamble = Buffer.from(head, 'utf8');
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  async function* parts(): AsyncGenerator<Buffer> {
    yield preamble;
    for await (const chunk of createReadStream(file.path)) yield chunk as Buffer;
    yield epilogue;
  }
  return {
    stream: Readable.from(parts(), { objectMode: false }),
    length: preamble.length + file.size + epilogue.length,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
