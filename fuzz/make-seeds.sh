#!/bin/sh
# make-seeds.sh SRCDIR OUTDIR — writes the seed corpus of every harness
# into OUTDIR/NAME/ (NAME: the harness without "fuzz-"; OUTDIR is
# fuzz/seed-corpus of the build directory), from what the
# tree already has: samples/bounces, samples/logs, rules/, the sample
# config, and the few small hand-written seeds in fuzz/seeds/. With
# $NDRSIFT_FUZZ_CORPUS (a directory of messages), else $NDRSIFT_CORPUS
# (a copy of sisimai's set-of-emails: its maildir/bsd), its
# LF messages up to 64 KB seed the bounce and Received harnesses too.
# Nothing is committed from here: the seeds are generated at build time.
set -eu
src=$1 out=$2
# Only the generated subdirectories are replaced, never OUTDIR itself.
for h in bounce received rules formats config \
         logparse-postfix logparse-exim logparse-sendmail logparse-exchange logparse-jsonl; do
	rm -rf "${out:?}/$h"
	mkdir -p "$out/$h"
done

# copy DIR FILE NAME: one seed (cp keeps it byte for byte).
copy () { cp "$2" "$out/$1/$3"; }

# chunks DIR FILE LINES: FILE whole, and in pieces of LINES lines (small
# seeds mutate faster; a parser with state, Exchange's #Fields, also gets
# the header line on top of each piece).
chunks () {
	dir=$1 file=$2 n=$3 base=$(basename "$2")
	copy "$dir" "$file" "$base"
	keep=
	case $dir in logparse-exchange) keep=$(grep '^#' "$file" || true) ;; esac
	grep -v '^#' "$file" | split -l "$n" - "$out/$dir/$base.part-"
	if [ -n "$keep" ]; then
		for f in "$out/$dir/$base.part-"*; do
			{ printf '%s\n' "$keep"; cat "$f"; } >"$f.tmp" && mv "$f.tmp" "$f"
		done
	fi
}

# Received values of a message, unfolded, one file each.
received_of () {
	awk -v dir="$out/received" -v base="$2" '
		/^$/ { exit }                      # end of the top-level header
		/^[ \t]/ { if (r != "") r = r " " substr($0, 2); next }
		{ flush(); if (tolower(substr($0, 1, 9)) == "received:") r = substr($0, 10); }
		function flush() { if (r != "") { n++; f = dir "/" base "-" n; printf "%s", r > f; close(f) } r = "" }
		END { flush() }' "$1"
}

for f in "$src"/samples/bounces/*.eml; do
	copy bounce "$f" "$(basename "$f")"
	received_of "$f" "$(basename "$f")"
done
for d in crlf cr; do
	for f in "$src"/samples/bounces/$d/*; do copy bounce "$f" "$d-$(basename "$f")"; done
done
# Received lines of the originals too: they are quoted deeper in each file.
for f in "$src"/samples/bounces/*.eml; do
	grep -h -i '^>\{0,1\} *Received: ' "$f" | sed 's/^> *//; s/^[Rr][Ee][Cc][Ee][Ii][Vv][Ee][Dd]: *//' |
		split -l 1 - "$out/received/$(basename "$f")-quoted-" || true
done

for fmt in postfix exim sendmail exchange; do
	chunks "logparse-$fmt" "$src/samples/logs/$fmt.log" 6
done
chunks logparse-jsonl "$src/fuzz/seeds/records.jsonl" 2

for f in "$src"/rules/*.rules; do chunks rules "$f" 12; done
copy rules "$src/fuzz/seeds/meta.rules" meta.rules
for f in "$src"/rules/*.formats; do chunks formats "$f" 8; done

copy config "$src/samples/ndrsift.conf" ndrsift.conf
copy config "$src/tests/corpus/verdicts.conf" verdicts.conf
for f in "$src"/fuzz/seeds/*.conf; do copy config "$f" "$(basename "$f")"; done

corpus=${NDRSIFT_FUZZ_CORPUS:-${NDRSIFT_CORPUS:+$NDRSIFT_CORPUS/maildir/bsd}}
[ -n "$corpus" ] || corpus=/nonexistent
if [ -d "$corpus" ]; then
	find "$corpus" -type f -size -64k | while read -r f; do
		copy bounce "$f" "corpus-$(basename "$f")"
		received_of "$f" "corpus-$(basename "$f")"
	done
fi

for d in "$out"/*; do
	printf '%s: %s seeds\n' "$(basename "$d")" "$(ls "$d" | wc -l)"
done
