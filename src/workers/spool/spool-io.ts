/**
 * The spool's file operations. Writes are synchronous: the transport worker's batches count as
 * sent only once written, and a write into the page cache is quick. The two that wait for the
 * disk itself — the `interval` policy's fsyncs and deleting acked segments — also come
 * asynchronous, on libuv's thread pool: an fsync of 20 MB took the transport thread ~100 ms at 1M
 * ticks/s, long enough to fill the rings and pause the EA. One seam, so that tests can make a
 * write fail as a full disk does (ENOSPC) without a full disk: {@link faultyIo}.
 */
import {
  closeSync, fstatSync, fsync as fsyncCallback, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync,
  unlink as unlinkCallback, unlinkSync, writeSync,
} from 'node:fs';

export interface SpoolIo {
  mkdir(dir: string): void;
  /** Creates `path` (which must not exist) for appending; returns its descriptor. */
  create(path: string): number;
  /** Opens an existing file for reading and writing (truncating a torn tail). */
  openExisting(path: string): number;
  /**
   * Writes all of `bytes[0, length)` at `position` (the end of what is valid) or throws (ENOSPC,
   * EDQUOT, EIO, ...). Positioned, so that a tail cut off after a failed write is overwritten.
   */
  append(fd: number, bytes: Uint8Array, length: number, position: number): void;
  read(fd: number, into: Uint8Array, position: number): void;
  truncate(fd: number, length: number): void;
  fsync(fd: number): void;
  /** fsync on libuv's thread pool; `fd` must stay open until `done`. */
  fsyncAsync(fd: number, done: (err: NodeJS.ErrnoException | null) => void): void;
  close(fd: number): void;
  unlink(path: string): void;
  unlinkAsync(path: string, done: (err: NodeJS.ErrnoException | null) => void): void;
  /**
   * Overwrites `bytes[0, length)` at `position` of a file already that long: no new space needed
   * (on a filesystem that overwrites in place), so it works on a full disk.
   */
  writeAt(fd: number, bytes: Uint8Array, length: number, position: number): void;
  /**
   * Creates `path` holding exactly `bytes`, allocated whole (every byte written, zeros too: no
   * sparse file), atomically: temporary file, fsync (if asked), rename, fsync of the directory.
   */
  writeNewFile(dir: string, path: string, bytes: Uint8Array, sync: boolean): void;
}

function writeAll(fd: number, bytes: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) done += writeSync(fd, bytes, done, length - done, position + done);
}

export const nodeIo: SpoolIo = {
  mkdir(dir) {
    mkdirSync(dir, { recursive: true });
  },
  create(path) {
    return openSync(path, 'wx+');
  },
  openExisting(path) {
    return openSync(path, 'r+');
  },
  append(fd, bytes, length, position) {
    writeAll(fd, bytes, length, position);
  },
  writeAt(fd, bytes, length, position) {
    writeAll(fd, bytes, length, position);
  },
  read(fd, into, position) {
    let done = 0;
    while (done < into.length) {
      const n = readSync(fd, into, done, into.length - done, position + done);
      if (n === 0) throw new Error(`spool file ended ${into.length - done} bytes early`);
      done += n;
    }
  },
  truncate(fd, length) {
    ftruncateSync(fd, length);
  },
  fsync(fd) {
    fsyncSync(fd);
  },
  fsyncAsync(fd, done) {
    fsyncCallback(fd, done);
  },
  close(fd) {
    closeSync(fd);
  },
  unlink(path) {
    unlinkSync(path);
  },
  unlinkAsync(path, done) {
    unlinkCallback(path, done);
  },
  writeNewFile(dir, path, bytes, sync) {
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, bytes, bytes.length, 0);
      if (sync) fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      try { unlinkSync(tmp); } catch { /* the write's error is the one to report */ }
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, path);
    if (sync) {
      // The rename is durable once the directory is: fsync it (not possible on every platform).
      try {
        const d = openSync(dir, 'r');
        try { fsyncSync(d); } finally { closeSync(d); }
      } catch { /* Windows cannot open a directory */ }
    }
  },
};

/** An errno-style error, as fs throws it. */
export function ioError(code: string, syscall: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${syscall} failed`);
  err.code = code;
  err.syscall = syscall;
  return err;
}

/**
 * `nodeIo` with writes that fail while `fault.code` is set (e.g. 'ENOSPC'), as a full disk
 * makes them: every write that creates a file or extends one throws — appends, new files, and
 * an overwrite that would run past the end of its file — while overwrites within a file's
 * length, reads, truncations and deletes work. `fault.inPlace` makes overwrites fail too (an
 * I/O error, or a copy-on-write filesystem, where an overwrite needs new space as well).
 * `fault.partialBytes` > 0 makes a failing append write that many bytes first (a torn write).
 */
export interface IoFault {
  code: string | null;
  partialBytes?: number;
  inPlace?: boolean;
}

export function faultyIo(fault: IoFault, base: SpoolIo = nodeIo): SpoolIo {
  return {
    ...base,
    create(path) {
      if (fault.code) throw ioError(fault.code, 'open');
      return base.create(path);
    },
    append(fd, bytes, length, position) {
      if (fault.code) {
        const partial = Math.min(fault.partialBytes ?? 0, length);
        if (partial > 0) base.append(fd, bytes, partial, position);
        throw ioError(fault.code, 'write');
      }
      base.append(fd, bytes, length, position);
    },
    writeAt(fd, bytes, length, position) {
      if (fault.code && (fault.inPlace || position + length > fstatSync(fd).size)) throw ioError(fault.code, 'write');
      base.writeAt(fd, bytes, length, position);
    },
    writeNewFile(dir, path, bytes, sync) {
      if (fault.code) throw ioError(fault.code, 'open');
      base.writeNewFile(dir, path, bytes, sync);
    },
  };
}
