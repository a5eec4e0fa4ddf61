/**
 * Base images with no registry, from what the host's Debian installs: busybox from the
 * static busybox binary (busybox-static), Debian minbase from debootstrap.
 */
export { bootstrapBusybox, type BusyboxOptions } from './bootstrap/busybox.js';
export { bootstrapDebian, type DebianOptions } from './bootstrap/debian.js';
export { hostMirror } from './bootstrap/mirror.js';
