#!/usr/bin/env sh
# Prints a Python >= 3.12 interpreter, or explains what to install and fails.
# Django 6.1 refuses older Pythons; pyenv shims may exist yet not run, so each
# candidate is actually executed.
for p in "${PYTHON:-}" python3.13 python3.12 python3 \
         "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
  [ -n "$p" ] || continue
  if "$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
    command -v "$p" 2>/dev/null || echo "$p"
    exit 0
  fi
done
echo "error: no Python 3.12 or newer found. Install python3.12 (or newer) and run again, or set PYTHON=/path/to/python3.12" >&2
exit 1
