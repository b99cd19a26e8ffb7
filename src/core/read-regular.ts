import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Int8calError } from './errors.js';

/**
 * Reads a whole regular file, at most its size at open time. A FIFO, a device (/dev/zero) or a
 * directory is refused before any read: reading one would block forever or grow without bound.
 * O_NONBLOCK keeps the open itself from blocking on a FIFO with no writer.
 */
export async function readRegularFile(path: string, what: string, hint: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new Int8calError('FILE_READ', `Cannot read ${what} ${path}: ${(error as Error).message}`, { file: path, hint }, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = info.isFIFO() ? 'a named pipe (FIFO)' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : info.isDirectory() ? 'a directory' : info.isSocket() ? 'a socket' : 'not a regular file';
      throw new Int8calError('NOT_A_FILE', `${what[0]!.toUpperCase()}${what.slice(1)} ${path} is ${kind}, not a regular file`, { file: path, hint });
    }
    const bytes = Buffer.alloc(info.size);
    let read = 0;
    while (read < info.size) {
      const { bytesRead } = await handle.read(bytes, read, info.size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return read === info.size ? bytes : bytes.subarray(0, read);
  } catch (error) {
    if (error instanceof Int8calError) throw error;
    throw new Int8calError('FILE_READ', `Cannot read ${what} ${path}: ${(error as Error).message}`, { file: path, hint }, { cause: error });
  } finally {
    await handle.close();
  }
}
