#!/usr/bin/env bash
# Set up honkwatch on a fresh Debian/Ubuntu machine: the system libraries it links against,
# then the project itself (editable, every extra but training) into the current Python.
# Safe to run again: apt and pip skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# libportaudio2: sounddevice's PortAudio; libsndfile1: soundfile; alsa-utils: the ALSA file-PCM
# capture tests; mosquitto: the broker the tests start with special configs (ACL, TLS);
# chromium: the browser the review-page and report tests drive (no browser download at test time).
PKGS="libportaudio2 libsndfile1 alsa-utils mosquitto chromium"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

python3 -m pip install -q --upgrade pip
python3 -m pip install -q -e '.[all]'
