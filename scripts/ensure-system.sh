#!/usr/bin/env bash
# Install what the tests and the briefing's PDF need from Debian when it is missing (needs root): Chromium for the
# browser tests, a CJK font (screens, charts and PDF), Pango (WeasyPrint lays the PDF out with it) and poppler's
# pdftoppm/pdftotext (the tests read the PDF back). With --runtime, only what the app itself needs (`make demo`).
set -euo pipefail
need=()
runtime_only=0
[ "${1:-}" = "--runtime" ] && runtime_only=1
[ $runtime_only = 1 ] || [ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE "Noto Sans CJK|WenQuanYi" || need+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ $runtime_only = 1 ] || command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing: ${need[*]} (apt-get install -y ${need[*]}, as root)" >&2
  [ $runtime_only = 1 ] && exit 0  # the demo runs without them; only the briefing's PDF says what it lacks
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
