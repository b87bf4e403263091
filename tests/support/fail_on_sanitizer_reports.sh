#!/usr/bin/env bash
# Runs a command (a node test file, in the sanitized build's integration tier) with every
# AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer report of the sanitized processes
# it starts written to a scratch directory instead of their stderr, where a test that reads only
# status codes would never see it. Any report fails the run and is printed, whatever the
# command's own status: a report is a finding even when the test around it passed.
# Usage: fail_on_sanitizer_reports.sh COMMAND...
set -uo pipefail
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# halt_on_error: the first report ends the process (the rest of a corrupted run is noise).
# detect_leaks: LeakSanitizer runs when a gateway exits normally (SIGTERM, an exit status).
export ASAN_OPTIONS="log_path=$reports/asan:halt_on_error=1:detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$reports/ubsan:halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
"$@"
status=$?
if compgen -G "$reports/*" >/dev/null; then
  for report in "$reports"/*; do
    echo "=== sanitizer report $(basename "$report")"
    cat "$report"
  done
  echo "FAILED: the sanitizers reported the findings above" >&2
  exit 1
fi
exit "$status"
