/**
 * Reads a file no larger than a limit: the size is checked on the open file
 * before anything is read, and the read stops at the limit, so a huge (or
 * growing) file never reaches the parser. The error names the limit.
 */
import { open } from 'node:fs/promises';
import { InvalidArgumentError } from '../lib/errors.js';

/** The file's text; throws InvalidArgumentError when it holds more than `maxBytes`. */
export async function readFileBounded(path: string, maxBytes: number, limitName: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const tooBig = (size: number): never => {
      throw new InvalidArgumentError(
        `${path} is ${size} bytes, more than ${maxBytes} (the ${limitName} limit); split it or raise the limit`,
      );
    };
    const { size } = await handle.stat();
    if (size > maxBytes) tooBig(size);
    // Sized to the file (it is read every few seconds: a buffer of the whole limit, 4 MiB, each time
    // was most of an idle engine's garbage), grown while a file that is being written grows.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes, size + 4096) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) tooBig(length);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}
