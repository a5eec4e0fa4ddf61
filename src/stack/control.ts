import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Where a project's keeper listens and records its pid: under the engine's run directory. */
export function keeperPaths(runRoot: string, project: string) {
  const dir = path.join(runRoot, 'keepers');
  return {
    dir,
    socket: path.join(dir, `${project}.sock`),
    pid: path.join(dir, `${project}.pid`),
  };
}

export type ControlRequest = { op: 'ping' } | { op: 'reload' } | { op: 'stop' };
export interface ControlReply {
  ok: boolean;
  pid?: number;
  project?: string;
  error?: string;
}

/**
 * The keeper's control socket: one JSON object per line each way. A stale socket file
 * (its keeper was killed) is replaced.
 */
export async function serveControl(
  socketPath: string,
  handle: (request: ControlRequest) => ControlReply | Promise<ControlReply>,
): Promise<net.Server> {
  mkdirSync(path.dirname(socketPath), { recursive: true });
  rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 1);
        Promise.resolve()
          .then(() => handle(JSON.parse(line) as ControlRequest))
          .catch((error: unknown) => ({ ok: false, error: String(error) }))
          .then((reply) => socket.write(`${JSON.stringify(reply)}\n`));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

/** One request to a keeper; undefined when none answers (no socket, or a dead one). */
export function controlRequest(
  socketPath: string,
  request: ControlRequest,
  timeoutMs = 10_000,
): Promise<ControlReply | undefined> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    let buffer = '';
    const done = (reply: ControlReply | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const at = buffer.indexOf('\n');
      if (at < 0) return;
      try {
        done(JSON.parse(buffer.slice(0, at)) as ControlReply);
      } catch {
        done(undefined);
      }
    });
  });
}
