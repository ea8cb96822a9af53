#!/usr/bin/env bash
# Sets everything up, starts private PulseAudio virtual devices, then runs the
# linter, the type checker and the test suite against the real models and audio path.
#   scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# shellcheck disable=SC1090
eval "$(scripts/pulse.sh start)"
trap 'scripts/pulse.sh stop >/dev/null 2>&1 || true' EXIT
.venv/bin/ruff check voiceslm tests
.venv/bin/mypy voiceslm
.venv/bin/python -m pytest "$@"
