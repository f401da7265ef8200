/**
 * Reads the end of pluto's log file (own mode) as lines, for the SA
 * classifier and for error messages when pluto fails to start.
 */
import { open } from 'node:fs/promises';

/** The last `maxBytes` of `file` as complete lines (oldest first); [] when the file is missing. */
export async function readLogTail(file: string, maxBytes = 256 * 1024): Promise<string[]> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    if (start > 0) lines.shift();
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines;
  } finally {
    await fh.close();
  }
}
