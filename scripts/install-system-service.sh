#!/usr/bin/env bash
# Install voiceslm as a hardened system service (run as root), or remove it.
#
#   sudo scripts/install-system-service.sh [--venv DIR | --bin PATH]
#        [--models-from DIR | --no-models] [--no-start] [--root DIR]
#   sudo scripts/install-system-service.sh --uninstall [--purge]
#
# What it sets up:
#   user      `voiceslm`, a system user with no login, in the `audio` group
#   program   a virtual environment in /opt/voiceslm/venv with this checkout
#             installed (--venv DIR elsewhere; --bin PATH to use an existing
#             voiceslm that the service can see: not under /home, /root, /tmp)
#   config    /etc/voiceslm/config.yaml (created once, never overwritten)
#   models    /var/lib/voiceslm/models, copied from --models-from DIR, else
#             from the invoking user's store, else `voiceslm models install`
#   unit      /etc/systemd/system/voiceslm.service from systemd/voiceslm-system.service
#
# Idempotent: run it again after `git pull` to update the program and unit;
# what is already in place is kept. --uninstall stops and removes the unit and
# keeps the user, config and models; --purge removes those too. --root DIR
# writes every file under DIR instead of / (for packaging and tests) and
# touches no user, no ownership and no running systemd.
#
# Afterwards: `sudo voiceslm ctl --system status`, `journalctl -u voiceslm -f`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
USER_NAME=voiceslm
UNIT=voiceslm.service

usage() { sed -n '2,26s/^# \{0,1\}//p' "$0"; }
say() { printf 'voiceslm: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

venv=/opt/voiceslm/venv
bin=""
models_from=""
models=1
start=1
uninstall=0
purge=0
dest=""
while [ $# -gt 0 ]; do
    case $1 in
    --venv) venv=${2:?--venv needs a directory}; shift ;;
    --bin) bin=${2:?--bin needs a path}; shift ;;
    --models-from) models_from=${2:?--models-from needs a directory}; shift ;;
    --no-models) models=0 ;;
    --no-start) start=0 ;;
    --root) dest=${2:?--root needs a directory}; shift ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1; see --help." ;;
    esac
    shift
done
[ "$purge" = 1 ] && [ "$uninstall" = 0 ] && die "--purge only goes with --uninstall."

staged=0
if [ -n "$dest" ]; then
    staged=1
    mkdir -p "$dest"
    dest=$(cd "$dest" && pwd)
elif [ "$(id -u)" != 0 ]; then
    die "installing a system service needs root; run: sudo $0 $*"
fi
ETC=$dest/etc/voiceslm
STATE=$dest/var/lib/voiceslm
CACHE=$dest/var/cache/voiceslm
UNIT_PATH=$dest/etc/systemd/system/$UNIT
OPT_MARK=.installed-by-voiceslm

# systemd running as init, able to take commands (not in a plain container).
have_systemd() { [ "$staged" = 0 ] && [ -d /run/systemd/system ] && systemctl show-environment >/dev/null 2>&1; }

if [ "$uninstall" = 1 ]; then
    if have_systemd; then
        systemctl disable --now "$UNIT" >/dev/null 2>&1 || true
    fi
    if [ -e "$UNIT_PATH" ]; then
        rm -f "$UNIT_PATH"
        say "removed $UNIT_PATH"
    else
        say "no unit at $UNIT_PATH; nothing to remove"
    fi
    if have_systemd; then
        systemctl daemon-reload
        systemctl reset-failed "$UNIT" >/dev/null 2>&1 || true
    fi
    if [ "$purge" = 1 ]; then
        rm -rf "$ETC" "$STATE" "$CACHE"
        say "removed $ETC, $STATE and $CACHE"
        if [ -f "$dest$venv/../$OPT_MARK" ]; then
            rm -rf "$(dirname "$dest$venv")"
            say "removed $(dirname "$dest$venv")"
        fi
        if [ "$staged" = 0 ] && getent passwd "$USER_NAME" >/dev/null; then
            userdel "$USER_NAME" 2>/dev/null || say "could not remove user $USER_NAME (is a process still running as it?)"
            getent passwd "$USER_NAME" >/dev/null || say "removed user $USER_NAME"
        fi
    else
        say "kept $ETC, $STATE (models) and the $USER_NAME user; --uninstall --purge removes them"
    fi
    exit 0
fi

# 1. The program given with --bin: checked before anything changes ------------
if [ -n "$bin" ]; then
    case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
    [ -x "$bin" ] || die "$bin is not an executable voiceslm; pass --bin with the right path."
    if [ "$staged" = 0 ]; then
        case $bin in
        /home/* | /root/* | /tmp/* | /var/tmp/* | /run/user/*)
            die "$bin is hidden from the service (ProtectHome=, PrivateTmp=); install into /opt with --venv instead." ;;
        esac
    fi
    "$bin" --version >/dev/null || die "$bin --version fails; reinstall it."
fi

# 2. The service user ----------------------------------------------------------
if [ "$staged" = 0 ]; then
    getent group audio >/dev/null || groupadd --system audio
    if ! getent passwd "$USER_NAME" >/dev/null; then
        nologin=$(command -v nologin || echo /usr/sbin/nologin)
        useradd --system --user-group --home-dir /var/lib/voiceslm --no-create-home \
            --shell "$nologin" --comment "voiceslm voice service" --groups audio "$USER_NAME"
        say "created system user $USER_NAME (in group audio)"
    elif ! id -nG "$USER_NAME" | tr ' ' '\n' | grep -qx audio; then
        usermod -a -G audio "$USER_NAME"
        say "added $USER_NAME to group audio"
    fi
fi
own() { [ "$staged" = 1 ] || chown "$@"; }

# 3. The program, built into a virtual environment --------------------------------
if [ -z "$bin" ]; then
    [ "$staged" = 1 ] && die "--root needs --bin: a staged install does not build a virtual environment."
    bin=$venv/bin/voiceslm
    stamp=$venv/.voiceslm-source
    want=$(cd "$ROOT" && find pyproject.toml config voiceslm -type f ! -name '*.pyc' -print0 | sort -z |
        xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
    if [ ! -x "$bin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing voiceslm into $venv (first time: a few minutes)"
        if [ ! -x "$venv/bin/python" ]; then
            mkdir -p "$(dirname "$venv")"
            [ -e "$(dirname "$venv")/$OPT_MARK" ] || [ -n "$(ls -A "$(dirname "$venv")")" ] ||
                touch "$(dirname "$venv")/$OPT_MARK"
            python3 -m venv "$venv"
        fi
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "$ROOT"
        echo "$want" >"$stamp"
    else
        say "$venv is up to date"
    fi
    chmod -R go+rX,go-w "$venv"
    "$bin" --version >/dev/null || die "$bin --version fails; reinstall it."
fi

# 4. Configuration and state --------------------------------------------------
install -d -m 0755 "$ETC"
if [ ! -e "$ETC/config.yaml" ]; then
    cat >"$ETC/config.yaml" <<'YAML'
# voiceslm system service configuration. Only the keys you change are needed;
# `voiceslm config show` lists every key, its value and where it came from
# (the packaged defaults are documented in config/voiceslm.yaml).
# Apply a change with: sudo systemctl reload voiceslm
# (an invalid file is refused and the running configuration kept).

# live:
#   mode: translate          # translate, assist or transcribe
# translate:
#   source: auto
#   target: es
# audio:
#   input_device: ""         # `voiceslm devices` lists them
#   output_device: ""
# privacy:
#   transcript_log: false    # kept in /var/lib/voiceslm/transcripts.jsonl
#   retention_days: 7
YAML
    chmod 0644 "$ETC/config.yaml"
    say "wrote $ETC/config.yaml"
fi
install -d -m 0750 "$STATE"
install -d -m 0755 "$STATE/models"
own -R "$USER_NAME:$USER_NAME" "$STATE"

# 5. Models -------------------------------------------------------------------------
copy_models() {
    local from=$1 copied=0 name
    for dir in "$from"/*/; do
        [ -f "$dir/voiceslm-model.json" ] || continue
        name=$(basename "$dir")
        [ -f "$STATE/models/$name/voiceslm-model.json" ] && continue
        rm -rf "$STATE/models/.tmp-$name"
        cp -a --reflink=auto "$dir" "$STATE/models/.tmp-$name"
        mv "$STATE/models/.tmp-$name" "$STATE/models/$name"
        copied=$((copied + 1))
    done
    say "copied $copied model(s) from $from"
}
if [ "$models" = 1 ]; then
    if [ -z "$models_from" ]; then
        invoker_home=$(getent passwd "${SUDO_USER:-root}" | cut -d: -f6)
        for candidate in "$invoker_home/.local/share/voiceslm/models" "$HOME/.local/share/voiceslm/models"; do
            if [ -d "$candidate" ]; then models_from=$candidate; break; fi
        done
    fi
    if [ -n "$models_from" ]; then
        [ -d "$models_from" ] || die "--models-from $models_from is not a directory."
        copy_models "$models_from"
    elif [ "$staged" = 0 ]; then
        say "installing the configured models into $STATE/models"
        runuser -u "$USER_NAME" -- env HOME="$STATE" VOICESLM_MODELS="$STATE/models" \
            VOICESLM_SYSTEM_CONFIG="$ETC/config.yaml" "$bin" models install ||
            say "warning: model install failed; install them as a user (voiceslm models install), then rerun with --models-from ~/.local/share/voiceslm/models"
    fi
    own -R "$USER_NAME:$USER_NAME" "$STATE/models"
    chmod -R go+rX,go-w "$STATE/models"
fi

# 6. The unit ---------------------------------------------------------------------
exec_path=${bin//%/%%}
case $exec_path in *' '*) exec_path="\"$exec_path\"" ;; esac
install -d -m 0755 "$(dirname "$UNIT_PATH")"
tmp=$(mktemp "$(dirname "$UNIT_PATH")/.$UNIT.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v exec_start="ExecStart=$exec_path daemon" \
    '/^ExecStart=/ { print exec_start; next } { print }' systemd/voiceslm-system.service >"$tmp"
chmod 0644 "$tmp"
changed=1
if [ -f "$UNIT_PATH" ] && cmp -s "$tmp" "$UNIT_PATH"; then
    changed=0
    say "$UNIT_PATH is up to date"
else
    if command -v systemd-analyze >/dev/null && [ "$staged" = 0 ]; then
        systemd-analyze verify "$tmp" >/dev/null 2>&1 || {
            systemd-analyze verify "$tmp" >&2 || true
            die "the rendered unit does not pass systemd-analyze verify; nothing was changed."
        }
    fi
    mv "$tmp" "$UNIT_PATH"
    say "installed $UNIT_PATH (ExecStart=$bin daemon)"
fi

if ! have_systemd; then
    [ "$staged" = 1 ] || say "systemd is not running here; on the target machine run: systemctl enable --now voiceslm"
    exit 0
fi
systemctl daemon-reload
systemctl enable "$UNIT" >/dev/null
if [ "$start" = 0 ]; then
    say "enabled; start it with: sudo systemctl start voiceslm"
elif [ "$changed" = 1 ] && systemctl is-active --quiet "$UNIT"; then
    systemctl restart "$UNIT"
else
    systemctl start "$UNIT"
fi
[ "$start" = 0 ] || say "running; check it with: sudo voiceslm ctl --system status  (log: journalctl -u voiceslm -f)"
