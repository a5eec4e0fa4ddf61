import { InvalidError, UnsupportedError } from '../../errors.js';

/*
 * A streaming tar reader, written here rather than taken from tar-stream because tar-stream
 * decodes PAX records as UTF-8 text: a binary value such as `security.capability` (the
 * file capabilities of ping or newuidmap) would be corrupted. Go's archive/tar, which
 * Docker and containerd use, keeps those values as bytes, and so does this reader. It
 * reads what they read: POSIX ustar with PAX headers, GNU long names, and V7 headers.
 */

export type EntryType =
  'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';

export interface TarEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch, with the fraction when a PAX record gives one. */
  mtime: number;
  atime: number | undefined;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From `SCHILY.xattr.*` PAX records, the form Docker and GNU tar write. */
  xattrs: Map<string, Buffer>;
}

const BLOCK = 512;
/** Go's archive/tar refuses PAX headers and long names over 1 MiB; so does this reader. */
const MAX_SPECIAL = 1 << 20;
const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class TarReader {
  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  private remaining = 0;
  private padding = 0;
  private current = '';

  /** `layer` names the layer in every message. */
  constructor(
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly layer: string,
  ) {}

  /** The next entry, or undefined at the end of the archive. Skips an unread body. */
  async next(): Promise<TarEntry | undefined> {
    await this.skip(this.remaining + this.padding);
    this.remaining = this.padding = 0;
    let pax = new Map<string, Buffer>();
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await this.take(BLOCK, true);
      if (block === undefined || (block[0] === 0 && block.every((byte) => byte === 0))) {
        return undefined;
      }
      const at = this.position - BLOCK;
      this.checkSum(block, at);
      const flag = String.fromCharCode(block[156]!);
      const size = this.number(block, 124, 12, at);
      if ('xgLK'.includes(flag)) {
        const data = await this.special(size, flag, at);
        if (flag === 'x') pax = parsePax(data, this.fail(at));
        else if (flag === 'L') longName = this.text(trimNul(data), at);
        else if (flag === 'K') longLink = this.text(trimNul(data), at);
        // 'g' (a global PAX header) is skipped, as Docker skips it.
        continue;
      }
      const entry = this.entry(block, flag, size, at, pax, longName, longLink);
      this.current = entry.name;
      // Other types carry no data whatever their size field says, as in Go's reader.
      this.remaining = entry.type === 'file' ? entry.size : 0;
      this.padding = padTo(this.remaining);
      return entry;
    }
  }

  /** Where the reader is, for messages: ` in entry "a/b"`, ` after entry "a/b"`, or ''. */
  get where(): string {
    if (!this.current) return '';
    return `${this.remaining > 0 ? ' in' : ' after'} entry "${this.current}"`;
  }

  /** Hands the current entry's data to `sink`, chunk by chunk, as it arrives. */
  async body(sink: (chunk: Buffer) => void): Promise<void> {
    while (this.remaining > 0) {
      if (this.buffer.length === 0 && !(await this.fill())) throw this.truncated();
      const length = Math.min(this.buffer.length, this.remaining);
      const chunk = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      this.position += length;
      this.remaining -= length;
      sink(chunk);
    }
  }

  private entry(
    block: Buffer,
    flag: string,
    size: number,
    at: number,
    pax: Map<string, Buffer>,
    longName: string | undefined,
    longLink: string | undefined,
  ): TarEntry {
    const ustar = block.toString('latin1', 257, 263) === 'ustar\0';
    let name = this.text(field(block, 0, 100), at);
    if (ustar && block[345] !== 0) name = `${this.text(field(block, 345, 155), at)}/${name}`;
    name = longName ?? name;
    const linkname = longLink ?? this.text(field(block, 157, 100), at);
    let type = TYPES[flag];
    if (type === undefined) {
      throw new UnsupportedError(
        `layer ${this.layer}: entry "${name}" has tar type "${printable(flag)}", which the engine cannot unpack`,
        { hint: 'GNU sparse and multi-volume archives are not supported; rebuild the image' },
      );
    }
    if (type === 'file' && flag !== '7' && name.endsWith('/')) type = 'directory';
    const entry: TarEntry = {
      name,
      type,
      mode: this.number(block, 100, 8, at),
      uid: this.number(block, 108, 8, at),
      gid: this.number(block, 116, 8, at),
      size,
      mtime: this.number(block, 136, 12, at),
      atime: undefined,
      linkname,
      devmajor: this.number(block, 329, 8, at),
      devminor: this.number(block, 337, 8, at),
      xattrs: new Map(),
    };
    for (const [key, value] of pax) {
      if (key === 'path' && value.length > 0) entry.name = this.text(value, at);
      else if (key === 'linkpath' && value.length > 0) entry.linkname = this.text(value, at);
      else if (key === 'size') entry.size = paxNumber(value, this.fail(at));
      else if (key === 'uid') entry.uid = paxNumber(value, this.fail(at));
      else if (key === 'gid') entry.gid = paxNumber(value, this.fail(at));
      else if (key === 'mtime') entry.mtime = paxTime(value, this.fail(at));
      else if (key === 'atime') entry.atime = paxTime(value, this.fail(at));
      else if (key.startsWith('SCHILY.xattr.')) entry.xattrs.set(key.slice(13), value);
      else if (key.startsWith('GNU.sparse.')) {
        throw new UnsupportedError(`layer ${this.layer}: entry "${name}" is a GNU sparse file`, {
          hint: 'sparse files in layers are not supported; rebuild the image without them',
        });
      }
    }
    return entry;
  }

  private async special(size: number, flag: string, at: number): Promise<Buffer> {
    if (size > MAX_SPECIAL) {
      throw this.fail(at)(`a "${flag}" header of ${size} bytes (the limit is ${MAX_SPECIAL})`);
    }
    const data = Buffer.from((await this.take(size, false))!);
    await this.skip(padTo(size));
    return data;
  }

  /** `size` bytes; at a clean end of input (when `endOk`) undefined. */
  private async take(size: number, endOk: boolean): Promise<Buffer | undefined> {
    while (this.buffer.length < size) {
      if (!(await this.fill())) {
        // Go's reader also accepts an archive that ends without its two zero blocks.
        if (endOk && this.buffer.length === 0) return undefined;
        throw this.truncated();
      }
    }
    const taken = this.buffer.subarray(0, size);
    this.buffer = this.buffer.subarray(size);
    this.position += size;
    return taken;
  }

  private async skip(size: number): Promise<void> {
    let left = size;
    while (left > 0) {
      if (this.buffer.length === 0 && !(await this.fill())) throw this.truncated();
      const length = Math.min(left, this.buffer.length);
      this.buffer = this.buffer.subarray(length);
      this.position += length;
      left -= length;
    }
  }

  private async fill(): Promise<boolean> {
    const next = await this.chunks.next();
    if (next.done) return false;
    this.buffer = this.buffer.length === 0 ? next.value : Buffer.concat([this.buffer, next.value]);
    return true;
  }

  private checkSum(block: Buffer, at: number): void {
    const stored = this.number(block, 148, 8, at);
    let unsigned = 0;
    let signed = 0;
    for (let i = 0; i < BLOCK; i += 1) {
      const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
      unsigned += byte;
      signed += byte > 127 ? byte - 256 : byte;
    }
    // Some old tars summed signed bytes; Go's reader accepts either sum, and so does this one.
    if (stored !== unsigned && stored !== signed) throw this.fail(at)('a header checksum');
  }

  private number(block: Buffer, offset: number, length: number, at: number): number {
    const bytes = block.subarray(offset, offset + length);
    if (bytes[0]! & 0x80) {
      // Base-256, which GNU tar and Go use for numbers too large for octal.
      if (bytes[0] === 0xff) throw this.fail(at)('a negative number in a header');
      let value = bytes[0]! & 0x7f;
      for (const byte of bytes.subarray(1)) value = value * 256 + byte;
      if (!Number.isSafeInteger(value)) throw this.fail(at)('a number too large in a header');
      return value;
    }
    const text = bytes.toString('latin1').replace(/^[\0 ]+|[\0 ]+$/g, '');
    if (!/^[0-7]*$/.test(text)) throw this.fail(at)('a malformed number in a header');
    return text === '' ? 0 : parseInt(text, 8);
  }

  private text(bytes: Buffer, at: number): string {
    try {
      return utf8.decode(bytes);
    } catch {
      throw new UnsupportedError(
        `layer ${this.layer}: a name at byte ${at} is not UTF-8 (${JSON.stringify(bytes.toString('latin1'))})`,
        { hint: 'the engine keeps file names as text; rename the file in the image' },
      );
    }
  }

  private fail(at: number): (what: string) => InvalidError {
    return (what) =>
      new InvalidError(
        `layer ${this.layer} is not a valid tar: ${what} at byte ${at}${this.where} is corrupt`,
        {
          hint: 'the layer blob is damaged: remove the image and pull or load it again',
        },
      );
  }

  private truncated(): InvalidError {
    return new InvalidError(
      `layer ${this.layer} is truncated: its tar ends at byte ${this.position}${this.where}`,
      { hint: 'the layer blob is incomplete: remove the image and pull or load it again' },
    );
  }
}

function parsePax(data: Buffer, fail: (what: string) => InvalidError): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space > at ? Number(data.toString('latin1', at, space)) : NaN;
    const end = at + length;
    if (!Number.isInteger(length) || end > data.length || data[end - 1] !== 0x0a) {
      throw fail('a PAX record');
    }
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals < 1) throw fail('a PAX record');
    records.set(record.toString('utf8', 0, equals), record.subarray(equals + 1));
    at = end;
  }
  return records;
}

function paxNumber(value: Buffer, fail: (what: string) => InvalidError): number {
  const text = value.toString('latin1');
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw fail('a PAX number');
  return Number(text);
}

function paxTime(value: Buffer, fail: (what: string) => InvalidError): number {
  const text = value.toString('latin1');
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw fail('a PAX time');
  return Number(text);
}

function field(block: Buffer, offset: number, length: number): Buffer {
  return trimNul(block.subarray(offset, offset + length));
}

function trimNul(bytes: Buffer): Buffer {
  const nul = bytes.indexOf(0);
  return nul === -1 ? bytes : bytes.subarray(0, nul);
}

function padTo(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function printable(flag: string): string {
  return /^[\x20-\x7e]$/.test(flag) ? flag : `\\x${flag.charCodeAt(0).toString(16)}`;
}
