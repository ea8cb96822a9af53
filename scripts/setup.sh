#!/usr/bin/env bash
# Sets up everything voiceslm needs, idempotently: system packages, a virtual
# environment in .venv, the package itself, and the default models in the
# model store. A second run reuses what is there and takes seconds.
#
#   scripts/setup.sh            # everything
#   VOICESLM_SKIP_APT=1 ...     # do not touch system packages
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VOICESLM_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
# PortAudio for sounddevice; PulseAudio gives virtual devices to the tests and
# to machines with no sound card; strace lets the tests prove no network use;
# systemd-analyze checks the unit files.
APT_PACKAGES=(libportaudio2 pulseaudio pulseaudio-utils strace systemd)
# Apertium (GPL) translates en<->es, es<->pt, es<->fr and es<->it by rule, in milliseconds.
APT_PACKAGES+=(apertium apertium-eng-spa apertium-es-pt apertium-fr-es apertium-spa-ita)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_system_packages() {
    [ "${VOICESLM_SKIP_APT:-0}" = 1 ] && return
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    say "installing system packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "voiceslm: install ${missing[*]} with your package manager, then re-run." >&2; exit 1; }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# pip warns about every local index folder a package is missing from; only
# real problems are worth showing.
pip_quiet() {
    "$VENV/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

install_python_packages() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtual environment $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when the dependency list changed.
    local stamp="$VENV/.voiceslm-setup" want
    want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    say "installing Python packages into $VENV"
    local pip=(pip_quiet install --quiet --disable-pip-version-check)
    # Converting the language models from GGUF needs torch once, at install
    # time; 2.13.0 is the CPU build this platform provides without a multi-GB
    # CUDA download.
    if [ "$(uname -m)" = x86_64 ]; then
        "${pip[@]}" "torch==2.13.0"
    fi
    "${pip[@]}" -e ".[convert,eval,dev,peers]"
    # RNNoise, measured against WebRTC's suppressor by `voiceslm eval --noise`:
    # only its own library is used, so its heavy Python extras are skipped.
    if [ "$(uname -m)" = x86_64 ]; then
        "${pip[@]}" --no-deps "pyrnnoise==0.4.5"
    fi
    echo "$want" > "$stamp"
}

install_models() {
    say "installing the default models (first time: a few minutes)"
    "$VENV/bin/voiceslm" models install
}

install_system_packages
install_python_packages
install_models
