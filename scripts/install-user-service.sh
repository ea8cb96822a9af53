#!/usr/bin/env bash
# Install voiceslm as a systemd user service, or remove it.
#
#   scripts/install-user-service.sh [--bin PATH] [--no-start] [--linger]
#   scripts/install-user-service.sh --uninstall
#
# Installs systemd/voiceslm.service as ~/.config/systemd/user/voiceslm.service
# with ExecStart pointing at your voiceslm (the repository's .venv, else the
# one on PATH, else --bin), then enables and starts it. The daemon then starts
# at login (at boot too with --linger) and restarts if it fails.
#
# Idempotent: a second run leaves an unchanged unit alone and only makes sure
# the service is enabled and running; a changed unit is replaced and the
# service restarted. --uninstall stops, disables and removes it (the config,
# models and state are left alone) and may be run any number of times.
#
# Afterwards: `voiceslm ctl status`, `systemctl --user status voiceslm`,
# `journalctl --user -u voiceslm -f`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
UNIT=voiceslm.service
UNIT_DIR=${VOICESLM_USER_UNIT_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user}

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; }
say() { printf 'voiceslm: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

bin=""
start=1
linger=0
uninstall=0
while [ $# -gt 0 ]; do
    case $1 in
    --bin) bin=${2:?--bin needs a path}; shift ;;
    --bin=*) bin=${1#--bin=} ;;
    --no-start) start=0 ;;
    --linger) linger=1 ;;
    --uninstall) uninstall=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1; see --help." ;;
    esac
    shift
done

# The user's service manager, if this session has one (not over plain ssh
# without a login session, nor in a container without systemd).
have_manager() { systemctl --user show-environment >/dev/null 2>&1; }

if [ "$uninstall" = 1 ]; then
    if have_manager; then
        systemctl --user disable --now "$UNIT" >/dev/null 2>&1 || true
    fi
    if [ -e "$UNIT_DIR/$UNIT" ]; then
        rm -f "$UNIT_DIR/$UNIT"
        say "removed $UNIT_DIR/$UNIT"
    else
        say "no user unit installed at $UNIT_DIR/$UNIT; nothing to remove"
    fi
    if have_manager; then
        systemctl --user daemon-reload
        systemctl --user reset-failed "$UNIT" >/dev/null 2>&1 || true
    fi
    exit 0
fi

if [ -z "$bin" ]; then
    if [ -x "$ROOT/.venv/bin/voiceslm" ]; then
        bin=$ROOT/.venv/bin/voiceslm
    elif command -v voiceslm >/dev/null; then
        bin=$(command -v voiceslm)
    else
        die "no voiceslm program found; run scripts/setup.sh first, or pass --bin /path/to/voiceslm."
    fi
fi
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || die "$bin is not an executable voiceslm; pass --bin with the right path."
"$bin" --version >/dev/null 2>&1 || die "$bin --version fails; reinstall with scripts/setup.sh."

# systemd unit syntax: % starts a specifier, and a path with spaces is quoted.
exec_path=${bin//%/%%}
case $exec_path in *' '*) exec_path="\"$exec_path\"" ;; esac

mkdir -p "$UNIT_DIR"
tmp=$(mktemp "$UNIT_DIR/.$UNIT.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v exec_start="ExecStart=$exec_path daemon" \
    '/^ExecStart=/ { print exec_start; next } { print }' systemd/voiceslm.service >"$tmp"
chmod 644 "$tmp"

changed=1
if [ -f "$UNIT_DIR/$UNIT" ] && cmp -s "$tmp" "$UNIT_DIR/$UNIT"; then
    changed=0
    say "$UNIT_DIR/$UNIT is up to date"
else
    mv "$tmp" "$UNIT_DIR/$UNIT"
    say "installed $UNIT_DIR/$UNIT (ExecStart=$bin daemon)"
fi

# Catch what would keep it from starting before systemd tries.
if ! "$bin" doctor --quick >/dev/null 2>&1; then
    say "warning: \`$bin doctor --quick\` reports a problem; the service may fail until it is fixed:"
    "$bin" doctor --quick 2>&1 | grep '^FAIL' >&2 || true
fi

if ! have_manager; then
    say "no systemd user manager is reachable from here; after logging in, run:"
    say "  systemctl --user daemon-reload && systemctl --user enable --now voiceslm"
    exit 0
fi
systemctl --user daemon-reload
if [ "$linger" = 1 ]; then
    loginctl enable-linger "$(id -un)" && say "lingering on: the service starts at boot, without a login"
fi
if [ "$start" = 0 ]; then
    systemctl --user enable "$UNIT" >/dev/null
    say "enabled; start it with: systemctl --user start voiceslm"
    exit 0
fi
systemctl --user enable "$UNIT" >/dev/null
if [ "$changed" = 1 ] && systemctl --user is-active --quiet "$UNIT"; then
    systemctl --user restart "$UNIT"
else
    systemctl --user start "$UNIT"
fi
say "running; check it with: voiceslm ctl status  (log: journalctl --user -u voiceslm -f)"
