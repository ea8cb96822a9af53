#!/usr/bin/env bash
# A private PulseAudio server with virtual devices, for tests and for machines
# with no sound card.
#
#   scripts/pulse.sh start [DIR]   start it (idempotent: a running one is reused)
#   scripts/pulse.sh env   [DIR]   print the `export` lines that point clients at it
#   scripts/pulse.sh stop  [DIR]   stop it
#
# DIR defaults to $VOICESLM_PULSE_DIR or /tmp/voiceslm-pulse. Devices:
#   vspeaker       null sink: the default output; record it from vspeaker.monitor
#   vmic_in        null sink: play a recording into it (paplay -d vmic_in file.wav)
#   vmic           remapped vmic_in.monitor: the default input, a virtual microphone
#
# Both sinks run at the pipeline's format (16 kHz mono float): at the server's defaults one came up
# at 48 kHz and one at 44.1 kHz, and the two resampled clocks drifted apart by ~2 ms/s, so a loop
# from the speaker to the microphone had no fixed delay.
#
# The server runs as the calling user with no D-Bus and anonymous auth on its
# own socket, so it needs neither root nor a desktop session.
set -euo pipefail

cmd=${1:-}
dir=${2:-${VOICESLM_PULSE_DIR:-/tmp/voiceslm-pulse}}
spec="rate=16000 channels=1 format=float32le"

env_lines() {
    cat <<EOF
export PULSE_RUNTIME_PATH=$dir/run
export PULSE_STATE_PATH=$dir/state
export PULSE_CONFIG_PATH=$dir/config
export PULSE_SERVER=unix:$dir/run/native
export VOICESLM_PULSE_DIR=$dir
EOF
}

use_env() {
    export PULSE_RUNTIME_PATH=$dir/run PULSE_STATE_PATH=$dir/state PULSE_CONFIG_PATH=$dir/config
    export PULSE_SERVER=unix:$dir/run/native
    # Without these pulseaudio and its clients scatter files in $HOME.
    export XDG_RUNTIME_DIR=$dir/run XDG_CONFIG_HOME=$dir/config
}

running() {
    use_env
    pactl info >/dev/null 2>&1
}

case $cmd in
start)
    command -v pulseaudio >/dev/null || {
        echo "pulse.sh: pulseaudio is not installed; run: apt-get install -y pulseaudio pulseaudio-utils libportaudio2" >&2
        exit 1
    }
    mkdir -p -m700 "$dir/run" "$dir/state" "$dir/config"
    if ! running; then
        # A stale pid file from a killed server makes pulseaudio refuse to start.
        rm -f "$dir/run/pid" "$dir/run/native"
        pulseaudio --daemonize=yes -n --exit-idle-time=-1 --use-pid-file=yes \
            --log-target="file:$dir/pulse.log" \
            --load="module-native-protocol-unix auth-anonymous=1 auth-cookie-enabled=0 socket=$dir/run/native" \
            --load="module-null-sink sink_name=vspeaker $spec" \
            --load="module-null-sink sink_name=vmic_in $spec" \
            --load="module-remap-source source_name=vmic master=vmic_in.monitor"
        for _ in $(seq 50); do
            running && break
            sleep 0.1
        done
        running || { echo "pulse.sh: the server did not start; see $dir/pulse.log" >&2; exit 1; }
    fi
    # Devices a previous test unloaded come back, so every start leaves the same set.
    pactl list short sinks | grep -q $'\tvspeaker\t' || pactl load-module module-null-sink sink_name=vspeaker $spec >/dev/null
    pactl list short sinks | grep -q $'\tvmic_in\t' || pactl load-module module-null-sink sink_name=vmic_in $spec >/dev/null
    pactl list short sources | grep -q $'\tvmic\t' ||
        pactl load-module module-remap-source source_name=vmic master=vmic_in.monitor >/dev/null
    pactl set-default-sink vspeaker
    pactl set-default-source vmic
    env_lines
    ;;
env)
    env_lines
    ;;
stop)
    if [ -f "$dir/run/pid" ]; then
        pid=$(cat "$dir/run/pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$dir/run/pid" "$dir/run/native"
    ;;
*)
    echo "usage: scripts/pulse.sh start|env|stop [DIR]" >&2
    exit 2
    ;;
esac
