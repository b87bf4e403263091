// The gateway's resident memory, for tests that bound what a load adds to it. A sanitizer build
// (CTest sets LLMUX_SANITIZED=1 for one) holds freed memory back on purpose (AddressSanitizer's
// quarantine), so there the bounds are not checked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

export const kMiB = 1024 * 1024;

// VmRSS of the process, in bytes.
export function residentBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]) * 1024;
}

// Asserts that the process holds less than `limit` bytes more than `before` now.
export function assertAddedLessThan(pid, before, limit, what) {
  const now = residentBytes(pid);
  if (process.env.LLMUX_SANITIZED === '1') return;
  assert.ok(now - before < limit, `${what}: RSS went from ${(before / kMiB).toFixed(1)} to ${(now / kMiB).toFixed(1)} MiB `
    + `(limit +${(limit / kMiB).toFixed(1)} MiB)`);
}
