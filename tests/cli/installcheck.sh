#!/bin/sh
# installcheck.sh BINARY SAMPLE_CONF SAMPLES_DIR MANDIR — run by `make
# installcheck` (and so by `make distcheck`) on an installed ndrsift, with
# no DESTDIR: the compiled-in paths must lead to the installed files.
set -u
ndrsift=$1 conf=$2 samples=$3 mandir=$4
fail=0
say () { echo "installcheck: $*"; }
bad () { say "FAIL: $*"; fail=1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-installcheck.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

"$ndrsift" --version >/dev/null || bad "$ndrsift --version"

# The default config is absent here: built-in defaults, the installed rules.
unset NDRSIFT_CONFIG
out=$("$ndrsift" --db "$tmp/sent.db" rules check 2>&1)
case $out in
	"0 rules"*|*" 0 bounce formats"*) bad "the installed rules are not found by default: $out" ;;
	*" rules, "*" bounce formats"*": OK") say "ok: the default rule directories hold the installed rules ($out)" ;;
	*) bad "rules check: $out" ;;
esac

# The installed sample config parses, and with it (and the installed
# rules) a forged sample is forged.
out=$("$ndrsift" --config "$conf" --db "$tmp/sent.db" check "$samples/exim-01.eml" 2>&1)
case $out in
	*": unknown "*|*": forged "*) say "ok: the installed sample config parses: $out" ;;
	*) bad "check with $conf: $out" ;;
esac
printf '[local]\ndomains=example.com\nnetworks=192.0.2.0/24\n' >"$tmp/site.conf"
out=$("$ndrsift" --config "$tmp/site.conf" --db "$tmp/sent.db" check "$samples/exim-01.eml" 2>&1)
case $out in *": forged "*) say "ok: with the installed rules a forged bounce is forged" ;;
	*) bad "check with the installed rules: $out" ;; esac

# The man pages are where man looks.
if command -v man >/dev/null 2>&1; then
	for page in ndrsift ndrsift.conf ndrsift-rules; do
		man -M "$mandir" -w "$page" >/dev/null 2>&1 && say "ok: man $page" || bad "man -M $mandir $page"
	done
fi
exit $fail
