/**
 * CPU use between two samples in percent of one core, as `docker stats` shows it: a
 * container that keeps two cores busy is at 200%. `at` is when each sample was taken, in
 * milliseconds. docker divides by the host's CPU time and multiplies by its CPU count,
 * which comes to the wall time between samples; this takes the wall time directly.
 * A counter that went back (the container was recreated) or no time between samples
 * gives 0.
 */
export function cpuPercent(
  prev: { usageNanos: number; at: number },
  next: { usageNanos: number; at: number },
): number {
  const used = next.usageNanos - prev.usageNanos;
  const wallNanos = (next.at - prev.at) * 1e6;
  if (used <= 0 || wallNanos <= 0) return 0;
  return (used / wallNanos) * 100;
}
