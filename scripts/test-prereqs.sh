#!/usr/bin/env bash
# Install what the test suite needs beyond Python packages, from Debian's packages:
#   fonts-ipaexfont-gothic     the font the refunds notices and collection letters (PDF) embed
#   chromium, chromium-driver  the staff console's browser tests (with fonts-ipafont-gothic)
#   prometheus (promtool)      lints and unit-tests the alert rules
# Used by `./osame test` and .ci/run. Installs only what is missing, only as root with apt-get;
# otherwise prints the command to run. With --strict (CI) a failed install is an error.
set -uo pipefail
strict=0; [ "${1:-}" = "--strict" ] && strict=1

missing=()
[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || missing+=(fonts-ipaexfont-gothic)
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  missing+=(chromium chromium-driver fonts-ipafont-gothic)
fi
optional=()
command -v promtool >/dev/null 2>&1 || optional+=(prometheus)
[ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-prereqs: missing ${missing[*]} ${optional[*]}: install them with" >&2
  echo "  sudo apt-get install ${missing[*]} ${optional[*]}" >&2
  echo "  (without them the notice, browser and alert-rule tests fail or are skipped)" >&2
  [ "$strict" = 1 ] && [ ${#missing[@]} -gt 0 ] && exit 1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "test-prereqs: installing ${missing[*]} ${optional[*]} (Debian packages)"
apt-get update -qq >/dev/null 2>&1 || true
if [ ${#missing[@]} -gt 0 ] && ! apt-get install -y -qq "${missing[@]}" >/dev/null; then
  echo "test-prereqs: could not install ${missing[*]}" >&2
  [ "$strict" = 1 ] && exit 1
fi
if [ ${#optional[@]} -gt 0 ] && ! apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null; then
  echo "test-prereqs: promtool could not be installed: the alert-rule tests will be skipped" >&2
fi
exit 0
