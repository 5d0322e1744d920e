#!/usr/bin/env bash
# mbox-memory.sh — peak memory of `scan` over a big mbox (streamed, never
# loaded whole).
#
#   bench/mbox-memory.sh [GB]      (default 2; run from the build dir)
#
# Builds an mbox of the sample bounces repeated to GB gigabytes (each with a
# "From " line, ">From " escaping, a blank line between messages), then runs
# `scan --format jsonl --jobs 2` over it under /usr/bin/time -v and prints
# messages, seconds and the maximum resident set size. Figures go to
# bench/out/mbox-memory.txt.
set -euo pipefail
gb=${1:-2}
ndrsift=${NDRSIFT:-./ndrsift}
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
mkdir -p bench/out
work=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-mbox.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 - "$src/samples/bounces" "$work/big.mbox" "$gb" <<'PY'
import os, re, sys
src, out, gb = sys.argv[1], sys.argv[2], float(sys.argv[3])
block = b""
for name in sorted(os.listdir(src)):
    p = os.path.join(src, name)
    if not os.path.isfile(p):
        continue
    data = open(p, "rb").read()
    data = re.sub(rb"(?m)^(>*From )", rb">\1", data)
    block += b"From MAILER-DAEMON Fri Nov 27 10:00:00 2026\n" + data.rstrip(b"\n") + b"\n\n"
want = int(gb * 1024**3)
with open(out, "wb") as f:
    written = 0
    while written < want:
        f.write(block)
        written += len(block)
PY
ls -l "$work/big.mbox" | awk '{printf "mbox: %.2f GB\n", $5 / 1024 / 1024 / 1024}'
/usr/bin/time -v "$ndrsift" --config /dev/null --db "$work/none.db" scan --format jsonl --jobs 2 --no-progress \
	"$work/big.mbox" >/dev/null 2>"$work/time.txt" || true
msgs=$(grep -o '^[0-9]* messages' "$work/time.txt" | head -1)
secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
line="gb=$gb $msgs elapsed=$secs max_rss_kb=$rss"
echo "$line"
echo "$line" >bench/out/mbox-memory.txt
