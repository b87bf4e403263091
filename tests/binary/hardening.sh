#!/usr/bin/env bash
# Checks the hardening the build promises (CMakeLists.txt) on a built binary, with readelf:
# a position-independent executable, full RELRO, stack canaries and, unless the build has no
# optimisation or runs under the sanitizers, glibc's fortified (__*_chk) functions.
# Usage: hardening.sh BINARY EXPECT_FORTIFY(1|0)
set -uo pipefail
binary=$1
expect_fortify=${2:-1}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

header=$(readelf --file-header --wide "$binary") || exit 1
segments=$(readelf --program-headers --wide "$binary") || exit 1
dynamic=$(readelf --dynamic --wide "$binary") || exit 1
symbols=$(readelf --dyn-syms --wide "$binary") || exit 1

grep -Eq 'Type:[[:space:]]+DYN' <<<"$header" || fail "not a position-independent executable (ELF type is not DYN)"
grep -Eq '\(FLAGS_1\).*\bPIE\b' <<<"$dynamic" || fail "no PIE flag in the dynamic section"
grep -q 'GNU_RELRO' <<<"$segments" || fail "no GNU_RELRO segment (no RELRO)"
grep -Eq '\(BIND_NOW\)|\(FLAGS\).*\bBIND_NOW\b|\(FLAGS_1\).*\bNOW\b' <<<"$dynamic" ||
  fail "relocations are resolved lazily (no BIND_NOW: partial RELRO only)"
grep -Eq '\b__stack_chk_fail\b' <<<"$symbols" || fail "no __stack_chk_fail: compiled without a stack protector"
if [[ $expect_fortify == 1 ]]; then
  fortified=$(grep -Eo '\b__[a-z0-9_]+_chk\b' <<<"$symbols" | grep -v '^__stack_chk_fail$' | sort -u | tr '\n' ' ')
  [[ -n $fortified ]] || fail "no fortified __*_chk function: compiled without _FORTIFY_SOURCE"
  echo "fortified functions: $fortified"
fi
if ((failures > 0)); then exit 1; fi
echo "hardened: PIE, full RELRO, stack protector$([[ $expect_fortify == 1 ]] && echo ", _FORTIFY_SOURCE")"
