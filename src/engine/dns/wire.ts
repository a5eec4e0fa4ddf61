import { InvalidError } from '../../errors.js';

/** A name on the wire is at most 255 octets, its length octets and the root included. */
const MAX_NAME_OCTETS = 255;
const MAX_LABEL_OCTETS = 63;
/** Compression pointers address the first 16 KiB of a message only (14 bits). */
const MAX_POINTER_TARGET = 0x3fff;

/** Reads a name at `offset`; `next` is where the field after it starts. */
export function readName(buffer: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let octets = 1;
  let position = offset;
  let next: number | undefined;
  // The loop guard: each pointer must point before the one that led to it, so a chain of
  // pointers can only walk backwards and ends in at most `offset` steps.
  let limit = offset;

  for (;;) {
    const length = byteAt(buffer, position);
    if (length === 0) break;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      const target = ((length & 0x3f) << 8) | byteAt(buffer, position + 1);
      if (target >= limit) throw bad(`a compression pointer at ${position} does not point back`);
      next ??= position + 2;
      limit = target;
      position = target;
      continue;
    }
    if (kind !== 0) throw bad(`the label type 0x${kind.toString(16)} at ${position} is unknown`);
    octets += length + 1;
    if (octets > MAX_NAME_OCTETS) throw bad(`the name at ${offset} is over 255 octets`);
    if (position + 1 + length > buffer.length) throw bad(`a label at ${position} is cut short`);
    labels.push(escapeLabel(buffer.subarray(position + 1, position + 1 + length)));
    position += 1 + length;
  }

  return { name: labels.join('.'), next: next ?? position + 1 };
}

/** The labels of a dotted name, as `readName` writes them (`\.`, `\\` and `\DDD` escapes). */
export function nameLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const labels: Buffer[] = [];
  let current: number[] = [];
  for (let i = 0; i < name.length; i += 1) {
    const char = name[i]!;
    if (char === '.') {
      labels.push(Buffer.from(current));
      current = [];
    } else if (char === '\\' && /^\d{3}$/.test(name.slice(i + 1, i + 4))) {
      current.push(Number(name.slice(i + 1, i + 4)) & 0xff);
      i += 3;
    } else if (char === '\\' && i + 1 < name.length) {
      current.push(name.charCodeAt(i + 1) & 0xff);
      i += 1;
    } else {
      current.push(name.charCodeAt(i) & 0xff);
    }
  }
  if (current.length > 0 || !name.endsWith('.')) labels.push(Buffer.from(current));
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_OCTETS) {
      throw bad(`the name "${name}" has an empty label or one over 63 octets`);
    }
  }
  return labels;
}

/** A growing buffer that writes DNS messages, names compressed against what it wrote before. */
export class Writer {
  private buffer = Buffer.alloc(512);
  private length = 0;
  private readonly suffixes = new Map<string, number>();

  get size(): number {
    return this.length;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer.writeUInt8(value, this.length);
    this.length += 1;
  }

  u16(value: number): void {
    this.reserve(2);
    this.buffer.writeUInt16BE(value, this.length);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32BE(value >>> 0, this.length);
    this.length += 4;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** Writes `name`, ending in a pointer to the longest suffix already written (RFC 1035 4.1.4). */
  name(name: string): void {
    const labels = nameLabels(name);
    for (let i = 0; i < labels.length; i += 1) {
      const key = labels
        .slice(i)
        .map((label) => asciiLower(label.toString('latin1')))
        .join('.');
      const earlier = this.suffixes.get(key);
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (this.length <= MAX_POINTER_TARGET) this.suffixes.set(key, this.length);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }

  patchU16(offset: number, value: number): void {
    this.buffer.writeUInt16BE(value, offset);
  }

  /** Forgets what was written from `size` on; names compressed later must not point there. */
  truncate(size: number): void {
    this.length = size;
    for (const [key, offset] of this.suffixes) if (offset >= size) this.suffixes.delete(key);
  }

  finish(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

export function byteAt(buffer: Buffer, offset: number): number {
  const value = buffer[offset];
  if (value === undefined) throw bad(`the message ends at ${buffer.length}, inside a field`);
  return value;
}

export function u16At(buffer: Buffer, offset: number): number {
  if (offset + 2 > buffer.length) throw bad(`the message ends at ${buffer.length}, inside a field`);
  return buffer.readUInt16BE(offset);
}

export function u32At(buffer: Buffer, offset: number): number {
  if (offset + 4 > buffer.length) throw bad(`the message ends at ${buffer.length}, inside a field`);
  return buffer.readUInt32BE(offset);
}

export function bad(message: string): InvalidError {
  return new InvalidError(`malformed DNS message: ${message}`);
}

/** DNS compares names case-insensitively in ASCII only (RFC 4343). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** Printable ASCII stays as it is; `.`, `\` and anything else are escaped as in zone files. */
function escapeLabel(label: Buffer): string {
  let text = '';
  for (const byte of label) {
    if (byte === 0x2e || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${String(byte).padStart(3, '0')}`;
  }
  return text;
}
