#!/usr/bin/env bash
# What the browser test needs beyond the Python packages: Debian's Chromium, which Playwright drives
# (Playwright's own browser download does not work on our machines), and axe-core from the npm
# registry, at the version package-lock.json pins, which the test injects into the pages.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
npm ci --no-audit --no-fund --silent
