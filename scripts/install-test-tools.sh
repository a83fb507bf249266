#!/usr/bin/env bash
# What the tests need beyond the Python packages: Debian's Chromium, which Playwright drives
# (Playwright's own browser download does not work on our machines), nginx (the deploy/nginx.conf
# example is run and its logs read), and axe-core from the npm registry, at the version
# package-lock.json pins, which the browser test injects into the pages; and ClamAV's daemon, which the
# evidence files' scanner test starts with a local test signature (tests/conftest.py: clamd).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ] || missing+=(clamav-daemon)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund --silent
