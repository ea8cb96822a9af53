#!/usr/bin/env bash
# Sets everything up, then translates a bundled English recording into Spanish.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/voiceslm demo "$@"
