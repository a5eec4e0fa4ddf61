/**
 * A throw-away engine for one test: its own TSCOMPOSE_ROOT under the system temp
 * directory, removed afterwards (also when the test failed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/engine/engine.js';

export interface TestEngine {
  engine: Engine;
  root: string;
  dispose: () => void;
}

export function testEngine(prefix = 'tscompose-engine-'): TestEngine {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  const engine = Engine.open({ root: path.join(root, 'lib'), runRoot: path.join(root, 'run') });
  return {
    engine,
    root,
    dispose: () => {
      engine.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
