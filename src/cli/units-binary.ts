/**
 * Sizes and percentages as `docker stats` prints them: binary units (1024) with four
 * significant digits, the way Go's `%.4g` and docker's go-units write them ("1.195MiB",
 * "64MiB", "0B"), and percentages with two decimals ("0.50%").
 */

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function binarySize(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // toPrecision(4) then Number drops the trailing zeros, as %g does.
  return `${Number(value.toPrecision(4))}${BINARY_UNITS[unit]}`;
}

export function percent(value: number): string {
  return `${(Number.isFinite(value) ? value : 0).toFixed(2)}%`;
}
