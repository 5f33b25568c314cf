#!/usr/bin/env bash
# Installs the Debian packages voice_triage needs at run time and in tests:
#   espeak-ng     speech synthesis (pyttsx3's Linux driver loads libespeak-ng)
#   libportaudio2 audio capture and playback (sounddevice)
#   sox           resampling and noise mixing for the generated test speech
# With --a11y (used by `make a11y-deps`, which `make test` needs) also what the accessibility test of
# the replay reports needs:
#   chromium      the browser that runs axe-core headless
#   npm           installs axe-core and playwright-core into tests/a11y/node_modules (brings nodejs)
# Only what is missing is installed; without root or apt-get it says what to run instead.
set -euo pipefail

need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
if ! ldconfig -p 2>/dev/null | grep -q 'libportaudio\.so\.2'; then
  need+=(libportaudio2)
fi
if [ "${1:-}" = "--a11y" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  { command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; } || need+=(npm)
fi

if [ ${#need[@]} -eq 0 ]; then
  echo "setup: system packages present (espeak-ng, sox, libportaudio2${1:+, chromium, npm})"
  exit 0
fi

echo "setup: installing system packages: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
fi
if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; }; then
  echo "setup: cannot install ${need[*]} here (needs apt-get and root)." >&2
  echo "setup: install them yourself, e.g.: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  echo "setup: apt-get could not install ${need[*]}." >&2
  echo "setup: check the network to the Debian mirror, then run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
