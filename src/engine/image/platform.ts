import { InvalidError } from '../../errors.js';
import type { Platform } from './types.js';

const ARCHITECTURES: Record<string, { architecture: string; variant?: string }> = {
  x64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64', variant: 'v8' },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' },
  ppc64: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
};

/** The platform this machine runs, in OCI terms (Node says x64 where OCI says amd64). */
export function hostPlatform(arch: string = process.arch): Platform {
  const known = ARCHITECTURES[arch] ?? { architecture: arch };
  return { os: 'linux', ...known };
}

/** `linux/arm64/v8` and friends, as `--platform` takes them. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) {
    throw new InvalidError(`invalid platform "${text}"`, {
      hint: 'write OS/ARCH[/VARIANT], for example linux/amd64 or linux/arm64/v8',
    });
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}
