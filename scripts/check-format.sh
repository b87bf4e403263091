#!/usr/bin/env bash
# Fails when a C++ file of the repository differs from what clang-format makes of it
# (.clang-format). Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' 2>/dev/null || find src tests bench -name '*.[ch]pp')
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "check-format: the files above are not formatted (clang-format -i <file>)" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
