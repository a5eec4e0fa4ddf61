import type { Socket } from 'node:net';

/** DNS over TCP: each message is preceded by its length in two bytes (RFC 1035 4.2.2). */
export function frame(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

/** Cuts a TCP stream into messages; holds at most one partial message (64 KiB). */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + length) break;
      messages.push(Buffer.from(this.pending.subarray(2, 2 + length)));
      this.pending = this.pending.subarray(2 + length);
    }
    return messages;
  }
}

export interface TcpServeOptions {
  /** A connection with nothing asked or answered for this long is closed (RFC 7766 6.2.3). */
  idleMs: number;
  /** Queries of one connection answered at once; reading pauses beyond that. */
  maxPipelined: number;
}

/** Answers each query of a client connection; replies may come back out of order. */
export function serveTcpClient(
  socket: Socket,
  handle: (message: Buffer) => Promise<Buffer | undefined>,
  options: TcpServeOptions,
): void {
  const reader = new FrameReader();
  let pending = 0;
  socket.setNoDelay(true);
  socket.setTimeout(options.idleMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    for (const message of reader.push(chunk)) {
      pending += 1;
      if (pending >= options.maxPipelined) socket.pause();
      void handle(message)
        .catch(() => undefined)
        .then((reply) => {
          pending -= 1;
          if (reply && socket.writable) socket.write(frame(reply));
          if (pending < options.maxPipelined) socket.resume();
        });
    }
  });
}
