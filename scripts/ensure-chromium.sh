#!/usr/bin/env bash
# Install Debian's Chromium and a CJK font for the browser tests when they are missing (needs root).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE "Noto Sans CJK|WenQuanYi" || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "browser tests need: ${need[*]} (apt-get install -y ${need[*]}, as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
