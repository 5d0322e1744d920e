#!/bin/sh
# shipping-lag.sh — on the site of tests/e2e/shipping.test (two Postfix
# servers shipping their logs with contrib/rsyslog's recipes, mx1 over
# RELP and mx2 over plain TCP, to two log hosts that follow them into
# sent logs of their own; tests/e2e/shipping-lib.sh):
#
#  1. the lag: alice sends MESSAGES messages, one at a time, through mx1
#     and mx2 in turn; for each, the time from the line in which her
#     server logged its Message-ID (its time stamp in the server's own
#     mail.log) to the end of the first `ndrsift check` on log host A of a
#     bounce quoting it that finds it (legit, MSGID_SENT). Median, p90, p99
#     and the largest, per protocol, and how long one check takes (the
#     lag's resolution; the checks run one after another);
#  2. the losses (BENCH_LOSS_RATE lines a second through each forwarder
#     for BENCH_LOSS_SECONDS, 0 to skip): a burst of lines straight into
#     each MTA host's syslog socket while A's rsyslogd is restarted
#     (SIGTERM, as systemctl restart), then another while it crashes
#     (SIGKILL) and is started again; lines lost and lines delivered
#     twice, per protocol, at A and at B (B is left alone).
#
#   bench/shipping-lag.sh [MESSAGES]     (default 100; as root, from the build dir)
#
# It is a benchmark, not a test: it exits non-zero only when the site does
# not start or a message is never seen. Needs what shipping.test needs
# (root; postfix, rsyslog, rsyslog-relp, swaks) and bc. Figures go to
# bench/out/shipping-lag.txt. Environment: NDRSIFT (./ndrsift), BENCH_OUT,
# BENCH_LOSS_RATE (2000), BENCH_LOSS_SECONDS (12), BENCH_KEEP=1 keeps the
# site's files.
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
NDRSIFT=${NDRSIFT:-$PWD/ndrsift}
case $NDRSIFT in /*) ;; *) NDRSIFT=$PWD/$NDRSIFT ;; esac
messages=${1:-100}
rate=${BENCH_LOSS_RATE:-2000} seconds=${BENCH_LOSS_SECONDS:-12}
bench_out=${BENCH_OUT:-$PWD/bench/out}
[ "${BENCH_KEEP:-0}" = 1 ] && NDRSIFT_E2E_KEEP=1
. "$top_srcdir/tests/cli/lib.sh"
e2e_name=shipping-lag
. "$top_srcdir/tests/e2e/mta-lib.sh"
. "$top_srcdir/tests/e2e/shipping-lib.sh"
e2e_unavailable () { echo "bench/shipping-lag.sh: $1" >&2; exit 1; }
export TZ=UTC

[ -x "$NDRSIFT" ] || e2e_unavailable "no $NDRSIFT: run from the build directory, or set NDRSIFT"
need_cmd bc "bc not installed (Debian package bc)"
ship_need
need_ports $ship_ports >/dev/null || e2e_unavailable "a port of $ship_ports is taken"
mkdir -p "$bench_out"
ship_start
[ -z "$setup_error" ] || e2e_unavailable "the site did not start: $setup_error"

# stamp_secs STAMP: an RFC 3339 stamp as Unix seconds with fractions.
stamp_secs () { date -u -d "$1" +%s.%N; }

# ---- 1. the lag ---------------------------------------------------------------

: >"$t/lags"
: >"$t/checks"
i=0
while [ $i -lt "$messages" ]; do
	i=$((i + 1))
	s=$((i % 2 + 1))
	mid="<lag.$i.$id@ourdomain.test>"
	send_mail $s "$mid" bob@sink.test
	dsn "$mid" "$(date +%s)" >"$t/lag.eml"
	seen=
	deadline=$(($(date +%s) + 60))
	while [ "$(date +%s)" -le $deadline ]; do
		before=$(date +%s.%N)
		v=$(nd A check "$t/lag.eml" 2>/dev/null)
		after=$(date +%s.%N)
		echo "$after - $before" | bc >>"$t/checks"
		case $v in *": legit "*) seen=$after; break ;; esac
		sleep 0.01
	done
	line=$(grep -F "message-id=$mid" "$t/fw$s/mail.log" | head -1)
	if [ -z "$seen" ] || [ -z "$line" ]; then
		echo "bench/shipping-lag.sh: $mid (mx$s) not seen by a lookup on A within 60 s" >&2
		exit 1
	fi
	echo "mx$s $(echo "$seen - $(stamp_secs "${line%% *}")" | bc)" >>"$t/lags"
done

# summary LABEL: median, p90, p99 and the largest of the numbers on stdin.
summary () {
	sort -n | awk -v label="$1" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print label ": none"; exit }
			p90 = int(NR * 0.90 + 0.999); p99 = int(NR * 0.99 + 0.999)
			printf "%-34s n=%-4d median %.3f s  p90 %.3f s  p99 %.3f s  max %.3f s\n",
				label, NR, v[int((NR + 1) / 2)], v[p90], v[p99], v[NR]
		}'
}
{
	echo "shipping lag, $(date -u +%Y-%m-%dT%H:%MZ), $messages messages, load $(cut -d' ' -f1-3 /proc/loadavg):"
	awk '$1 == "mx1" { print $2 }' "$t/lags" | summary "  log line -> lookup, mx1 (RELP)"
	awk '$1 == "mx2" { print $2 }' "$t/lags" | summary "  log line -> lookup, mx2 (TCP)"
	awk '{ print $2 }' "$t/lags" | summary "  log line -> lookup, both"
	summary "  one ndrsift check (resolution)" <"$t/checks"
} | tee "$bench_out/shipping-lag.txt"

# ---- 2. the losses --------------------------------------------------------------

[ "$rate" -gt 0 ] && [ "$seconds" -gt 0 ] || exit 0
# burst N TAG: $rate lines a second into mxN's syslog socket for $seconds.
burst () {
	python3 - "$t/fw$1/log.sock" "$2" "$rate" "$seconds" <<'EOF'
import socket, sys, time
sock, tag, rate, secs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sock)
t0 = time.time()
for i in range(int(rate * secs)):
    line = "<22>%s postfix/bench[1]: %s %d" % (time.strftime("%b %d %H:%M:%S"), tag, i)
    while True:
        try:
            s.send(line.encode())
            break
        except BlockingIOError:
            time.sleep(0.001)
    d = t0 + (i + 1) / rate - time.time()
    if d > 0:
        time.sleep(d)
EOF
}
# trial EVENT SIGNAL: a burst through both forwarders, A's rsyslogd
# stopped with SIGNAL halfway and started again.
trial () {
	tag=$1.$id
	burst 1 "$tag" &
	b1=$!
	burst 2 "$tag" &
	b2=$!
	sleep $((seconds / 2))
	read -r pid <"$t/A/pid.run"
	kill -"$2" "$pid"
	wait_for 20 exited "$pid"
	wait "$pid" 2>/dev/null
	rm -f "$t/A/rsyslogd.pid"
	rs_start A
	wait $b1 $b2
	# Done when the counts stop growing for 5 s.
	last=-1
	while [ "$(count_all "$tag")" != "$last" ]; do last=$(count_all "$tag"); sleep 5; done
	for h in A B; do
		for s in 1 2; do
			sent=$(grep -c " $tag " "$t/fw$s/mail.log")
			at=$(awk -v h="mx$s" '$2 == h' "$t/$h/log/mail-central/postfix.log" | grep " $tag " | sort)
			all=$(printf '%s\n' "$at" | grep -c .)
			distinct=$(printf '%s\n' "$at" | uniq | grep -c .)
			proto=RELP
			[ $s = 2 ] && proto=TCP
			printf '  %-8s %s, mx%s (%-4s): %6d logged, %5d lost, %4d delivered twice\n' \
				"$1" $h $s $proto "$sent" $((sent - distinct)) $((all - distinct))
		done
	done
}
count_all () { cat "$t/A/log/mail-central/postfix.log" "$t/B/log/mail-central/postfix.log" | grep -c " $1 "; }
# Not in a pipeline: A's rsyslogd, started again, is this shell's child
# (the cleanup stops it).
{
	echo "losses: $rate lines/s through each forwarder for $seconds s, A's rsyslogd stopped halfway and started:"
	trial restart TERM
	trial crash KILL
} >"$t/losses"
cat "$t/losses"
cat "$t/losses" >>"$bench_out/shipping-lag.txt"
