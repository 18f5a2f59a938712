#!/usr/bin/env bash
# The whole test suite: vitest (services, server, engine, IPC gate), then Playwright.
# keytar needs a Secret Service, so everything runs inside a private D-Bus session with a
# throwaway, unlocked gnome-keyring when those are installed (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${STRONGROOM_TEST_SESSION:-}" ] && command -v dbus-run-session >/dev/null 2>&1 \
  && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  export STRONGROOM_TEST_SESSION=1
  exec dbus-run-session -- bash "$0" "$@"
fi

if [ -n "${STRONGROOM_TEST_SESSION:-}" ]; then
  keyring_home=$(mktemp -d)
  trap 'rm -rf "$keyring_home"' EXIT
  export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  # A throwaway password creates and unlocks a fresh login keyring for this run only.
  eval "$(printf 'throwaway-test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
else
  echo "note: no dbus-run-session/gnome-keyring here: the keytar tests will say they are skipped and why"
fi

node scripts/ensure-node-abi.mjs
npx vitest run
npm run --silent build:renderer
npx playwright test
