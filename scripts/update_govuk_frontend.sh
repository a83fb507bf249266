#!/usr/bin/env bash
# Vendor GOV.UK Frontend's compiled stylesheet into peer_review/entrypoints/web/static (run by hand to upgrade).
# The @font-face rules are removed: the GDS Transport font is licensed for GOV.UK services only, so
# this service's pages fall back to Arial, as GOV.UK's guidance asks of services outside GOV.UK.
set -euo pipefail
version="${1:-6.6.0}"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "govuk-frontend@$version" >/dev/null && tar xzf "govuk-frontend-$version.tgz")
python3 - "$work/package/dist/govuk/govuk-frontend.min.css" "$here/peer_review/web/static/govuk-frontend.min.css" "$version" <<'PY'
import re, sys
source, target, version = sys.argv[1:]
css = open(source, encoding="utf-8").read()
css = re.sub(r"@font-face\{[^}]*\}", "", css)
css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", css)
open(target, "w", encoding="utf-8").write(f"/* govuk-frontend {version} (MIT licence, (c) Crown copyright), @font-face rules removed */\n" + css)
PY
echo "vendored govuk-frontend $version"
