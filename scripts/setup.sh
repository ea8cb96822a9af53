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
# Voices far clearer than espeak-ng (README "Voices"): SVOX Pico (Apache-2.0,
# Debian non-free) and MBROLA through the system espeak-ng (contrib/non-free;
# MBROLA's voices are for non-commercial, non-military use only, and
# VOICESLM_NONFREE_VOICES=0 leaves them out).
VOICE_PACKAGES=(libttspico0 libttspico-data)
MBROLA_PACKAGES=(mbrola libespeak-ng1 espeak-ng-data mbrola-br4 mbrola-br1)
[ "${VOICESLM_NONFREE_VOICES:-1}" = 0 ] || VOICE_PACKAGES+=("${MBROLA_PACKAGES[@]}")
VOICESLM_SOURCES=/etc/apt/sources.list.d/voiceslm-contrib-non-free.sources

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

missing_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
    done
}

# Debian keeps Pico and MBROLA in contrib and non-free, which a stock source
# list leaves out: add them for the machine's own Debian mirror and suite (its
# URIs and Signed-By copied from the existing entry), once.
enable_debian_contrib_non_free() {
    [ -f "$VOICESLM_SOURCES" ] && return
    local suite uris="" signed="" file
    suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    [ -n "$suite" ] || return 1
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        # The deb822 stanza that serves this suite from a Debian archive.
        IFS=$'\t' read -r uris signed < <(awk -v suite="$suite" '
            BEGIN { RS = ""; FS = "\n" }
            {
                u = s = t = ""; ok = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) t = 1
                    if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u) }
                    if ($i ~ /^Signed-By:/) { s = $i; sub(/^Signed-By:[ \t]*/, "", s) }
                    if ($i ~ /^Suites:/ && (" " $i " ") ~ (" " suite " ")) ok = 1
                }
                if (t && ok && u ~ /debian/ && u !~ /security/) { print u "\t" s; exit }
            }' "$file") || true
        [ -n "$uris" ] && break
    done
    if [ -z "$uris" ] && [ -f /etc/apt/sources.list ]; then
        # One-line format: deb [signed-by=KEY ...] URI SUITE main
        IFS=$'\t' read -r uris signed < <(awk -v suite="$suite" '
            $1 == "deb" {
                key = ""; i = 2
                if ($i ~ /^\[/) {
                    for (; i <= NF; i++) {
                        if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\].*/, "", key) }
                        if ($i ~ /\]$/) { i++; break }
                    }
                }
                if ($(i + 1) == suite && $i ~ /debian/ && $i !~ /security/) { print $i "\t" key; exit }
            }' /etc/apt/sources.list) || true
    fi
    [ -n "$uris" ] || return 1
    say "enabling Debian's contrib and non-free components ($uris $suite) for the Pico and MBROLA voices"
    {
        echo "# Added by voiceslm scripts/setup.sh: the same Debian source, contrib and non-free components."
        echo "Types: deb"
        echo "URIs: $uris"
        echo "Suites: $suite"
        echo "Components: contrib non-free"
        [ -z "$signed" ] || echo "Signed-By: $signed"
    } | "${sudo[@]}" tee "$VOICESLM_SOURCES" >/dev/null
}

# Best effort: without these packages voiceslm speaks with espeak-ng and
# `voiceslm doctor` names the command that adds the clearer voice.
install_voice_packages() {
    [ "${VOICESLM_SKIP_APT:-0}" = 1 ] && return
    local missing sudo=()
    mapfile -t missing < <(missing_packages "${VOICE_PACKAGES[@]}")
    [ ${#missing[@]} -eq 0 ] && return
    local fallback="voiceslm: the Pico/MBROLA voices are not installed, so espeak-ng speaks; to add them, enable Debian's contrib and non-free components and run: sudo apt-get install ${missing[*]} (README \"Voices\")"
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null && sudo -n true 2>/dev/null || { echo "$fallback" >&2; return 0; }
        sudo=(sudo)
    fi
    if ! command -v apt-get >/dev/null || [ ! -f /etc/debian_version ]; then
        echo "$fallback" >&2
        return 0
    fi
    # Packages apt cannot find yet need contrib/non-free (or a first apt-get update).
    # (apt-cache show succeeds when any one of several names is known, so ask
    # for each package on its own.)
    local pkg unknown=0
    for pkg in "${missing[@]}"; do
        apt-cache show "$pkg" >/dev/null 2>&1 || unknown=1
    done
    if [ "$unknown" = 1 ]; then
        if grep -qi '^ID=debian' /etc/os-release 2>/dev/null; then
            enable_debian_contrib_non_free || true
        fi
        "${sudo[@]}" apt-get update -qq || true
    fi
    say "installing voices: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null 2>&1 || echo "$fallback" >&2
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
install_voice_packages
install_python_packages
install_models
