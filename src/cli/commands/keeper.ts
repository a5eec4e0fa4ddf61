import { closeSync, rmSync, writeSync } from 'node:fs';
import { ContainerManager } from '../../engine/containers/manager.js';
import { writeFileAtomic } from '../../engine/store/atomic.js';
import { UnsupportedError } from '../../errors.js';
import { keeperPaths, serveControl } from '../../stack/control.js';
import { Keeper } from '../../stack/keeper.js';
import { stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { withEngine } from '../engine.js';
import { EXIT } from '../exit-codes.js';
import { requireRoot } from '../root.js';

/**
 * The per-project keeper, started detached by `up -d` and friends. It reads no compose
 * file: what it supervises is in the engine's database. Its output goes to its log file.
 */
export const keeperCommand: Command = {
  summary: 'Supervise a project (started by up; not for direct use)',
  usage: 'tscompose -p PROJECT keeper',
  options: {},
  run: (ctx) => {
    requireRoot();
    const project = stringValue(ctx.args.values['project-name']);
    if (!project) throw new UsageError('keeper needs the project: tscompose -p NAME keeper');
    return withEngine(ctx, async (engine) => {
      const manager = new ContainerManager(engine, {
        runtime: ctx.environment.TSCOMPOSE_RUNTIME || undefined,
        conmon: ctx.environment.TSCOMPOSE_CONMON || undefined,
      });
      const log = (line: string) => ctx.out.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const keeper = new Keeper(
        {
          engine,
          manager,
          pull: async () => {
            throw new UnsupportedError('the keeper does not pull images');
          },
          onEvent: (event) => log(JSON.stringify(event)),
        },
        project,
      );
      const controller = new AbortController();
      const files = keeperPaths(engine.paths.run, project);
      const server = await serveControl(files.socket, async (request) => {
        if (request.op === 'stop') setImmediate(() => controller.abort());
        if (request.op === 'reload') await keeper.reload();
        return { ok: true, pid: process.pid, project };
      });
      writeFileAtomic(files.pid, `${process.pid}\n`);
      process.once('SIGTERM', () => controller.abort());
      process.once('SIGINT', () => controller.abort());
      const readyFd = Number(ctx.environment.TSCOMPOSE_KEEPER_READY_FD);
      if (Number.isInteger(readyFd) && readyFd > 2) {
        writeSync(readyFd, 'ready\n');
        closeSync(readyFd);
      }
      try {
        await keeper.run({ signal: controller.signal, exitWhenEmpty: true, log });
      } finally {
        server.close();
        rmSync(files.socket, { force: true });
        rmSync(files.pid, { force: true });
      }
      return EXIT.ok;
    });
  },
};
