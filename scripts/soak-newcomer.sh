#!/usr/bin/env bash
# Flake hunting as a newcomer: clone a branch into a fresh temp dir and run the README's two
# commands there (`./osame demo`, `./osame test`), N times each, every run from its own clone.
#
#   scripts/soak-newcomer.sh [--runs N] [--demo-runs N] [--test-runs N] [--ref main]
#                            [--source <git repo>] [--out DIR] [--keep] [-- <args for ./osame test>]
#
#   --runs N        both commands N times (default 5 demo runs, 3 test runs, as issue 14 asks)
#   --demo-runs N   `./osame demo` N times (0 skips it);  --test-runs N  the same for `./osame test`
#   --ref REF       branch or commit to clone (default main);  --source  repo (default this one)
#   --out DIR       where logs and the report go (default var/soak/<timestamp>)
#   --keep          keep the clones (default: deleted after each run, logs kept in --out)
#
# Every failure is reported with its command output's tail and the ERROR lines of the services'
# logs (the whole logs are copied to --out). Exit status: 0 when every run passed, 1 otherwise.
# The whole test suite is heavy: on a shared machine run the test soak when it is quiet.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
demo_runs=5 test_runs=3 ref=main source="$here" out="" keep=0
test_args=()
while (($#)); do
  case "$1" in
    --runs) demo_runs="$2" test_runs="$2"; shift 2 ;;
    --demo-runs) demo_runs="$2"; shift 2 ;;
    --test-runs) test_runs="$2"; shift 2 ;;
    --ref) ref="$2"; shift 2 ;;
    --source) source="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --) shift; test_args=("$@"); break ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak-newcomer: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$demo_runs" =~ ^[0-9]+$ && "$test_runs" =~ ^[0-9]+$ ]] || { echo "soak-newcomer: runs must be whole numbers" >&2; exit 2; }
out="${out:-$here/var/soak/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
report="$out/report.txt"
: >"$report"
commit="$(git -C "$source" rev-parse --short "$ref")"
echo "soak of $source @ $ref ($commit): $demo_runs demo run(s), $test_runs test run(s); logs in $out" | tee -a "$report"

declare -A passed=([demo]=0 [test]=0) failed=([demo]=0 [test]=0)

one_run() {  # one_run <demo|test> <n>
  local kind="$1" n="$2" clone log status start seconds
  clone="$(mktemp -d "${TMPDIR:-/tmp}/osame-soak-XXXXXX")"
  log="$out/$kind-$n.log"
  git clone --quiet --no-hardlinks "$source" "$clone/osame" && git -C "$clone/osame" checkout --quiet "$ref"
  start=$(date +%s)
  set +e
  if [[ "$kind" == demo ]]; then
    (cd "$clone/osame" && env -u VIRTUAL_ENV ./osame demo) >"$log" 2>&1 </dev/null
  else
    (cd "$clone/osame" && env -u VIRTUAL_ENV ./osame test -q -p no:cacheprovider "${test_args[@]}") >"$log" 2>&1 </dev/null
  fi
  status=$?
  set -e
  seconds=$(($(date +%s) - start))
  if ((status == 0)); then
    passed[$kind]=$((passed[$kind] + 1))
    echo "$kind run $n: passed in ${seconds}s" | tee -a "$report"
  else
    failed[$kind]=$((failed[$kind] + 1))
    local logs="$out/$kind-$n-service-logs"
    mkdir -p "$logs"
    # the demo's service logs (var/demo/<run>/logs), the tests' artifacts under var/
    find "$clone/osame/var" -name '*.log' -exec cp --parents {} "$logs" \; 2>/dev/null || true
    {
      echo "$kind run $n: FAILED (exit $status) after ${seconds}s; output: $log"
      echo "---- last 40 lines of the output"
      tail -n 40 "$log"
      echo "---- service log errors (copied to $logs)"
      grep -rh '"level": "ERROR"' "$logs" 2>/dev/null | tail -n 20 || true
      echo "----"
    } | tee -a "$report"
  fi
  if ((keep)); then echo "  clone kept: $clone/osame" | tee -a "$report"; else rm -rf "$clone"; fi
}

for ((i = 1; i <= demo_runs; i++)); do one_run demo "$i"; done
for ((i = 1; i <= test_runs; i++)); do one_run test "$i"; done

summary="demo ${passed[demo]}/$demo_runs passed, tests ${passed[test]}/$test_runs passed ($ref @ $commit)"
echo "$summary" | tee -a "$report"
((failed[demo] + failed[test] == 0))
