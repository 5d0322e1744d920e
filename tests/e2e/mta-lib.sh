# mta-lib.sh — what postfix.test and exim.test share (sourced after
# tests/cli/lib.sh, POSIX sh).
#
# Both tests play the reverse-NDR attack on real mail servers on loopback:
# ourdomain.test is "our" site, whose user alice is the Unix user
# $mta_user; bounces to her are delivered by dovecot-lda with the shipped
# Sieve script (contrib/sieve/ndrsift.sieve through
# contrib/dovecot/90-ndrsift.conf and the sieve-filter wrapper, paths moved
# into the test dir), so forged bounces land in Junk and the rest in INBOX.
# The sent log is filled by `ndrsift log import` from the server's own log.
#
# Skips: not root, or a server or client missing (`1..0 # SKIP why`, naming
# the package); with NDRSIFT_REQUIRE_ALL=1 (CI) each is a failure instead.

mta_user=ndrsift-mta
# The servers' users walk into what the test creates, whatever the caller's umask.
umask 022
# The servers' programs live in sbin, which a non-login PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
t=$tmpdir

# e2e_unavailable WHY: the test cannot run here: a skip (lib.sh), a
# failure under NDRSIFT_REQUIRE_ALL=1 (CI).
e2e_unavailable () { skip_all "$e2e_name: $1"; }

# need_cmd PATH_OR_NAME WHY: e2e_unavailable unless the program is there.
need_cmd () {
	command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || e2e_unavailable "$2"
}

# Cleanup on exit: mta_stop_hook (each test's way to stop its servers
# gracefully), then every PID given to on_exit_kill, newest first, gets
# SIGTERM and two seconds before SIGKILL; then the test dir goes.
mta_pids=
mta_stop_hook () { :; }
on_exit_kill () { mta_pids="$1 $mta_pids"; }
mta_cleanup () {
	mta_stop_hook >/dev/null 2>&1
	for p in $mta_pids; do
		kill "$p" 2>/dev/null || continue
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null
	done
	# NDRSIFT_E2E_KEEP=1 keeps the servers' configs, logs and mail to look at.
	if [ "${NDRSIFT_E2E_KEEP:-0}" = 1 ]; then echo "# kept $tmpdir"; else rm -rf "$tmpdir"; fi
}
trap mta_cleanup EXIT
trap 'exit 1' INT TERM HUP

# listening PORT: something listens on PORT; port_free PORT: nothing
# does. Without ss (Debian package iproute2) neither can tell, and both
# say yes: a taken port then shows as the server's own bind error.
have_ss () { command -v ss >/dev/null 2>&1; }
listening () { ! have_ss || [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
port_free () { ! have_ss || [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# need_ports PORT...: fail the whole test clearly when one is taken.
need_ports () {
	for p in "$@"; do
		if ! port_free "$p"; then
			echo "1..1"
			echo "not ok 1 - $e2e_name: loopback port $p is free"
			echo "# something listens on port $p: $(ss -Hltnp "sport = :$p" 2>/dev/null)"
			exit 1
		fi
	done
}

# wait_for SECONDS COMMAND...: polls COMMAND (10 times a second) until it
# succeeds; false when time runs out.
wait_for () {
	n=$(($1 * 10)); shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# count_qids FILE REGEX: how many distinct queue IDs (field 6 of a syslog
# line, field 3 of an Exim mainlog line: set $qid_field) have a line
# matching REGEX.
qid_field=6
count_qids () {
	grep -E "$2" "$1" 2>/dev/null | awk -v f="$qid_field" '{ print $f }' | sort -u | grep -c .
}
# at_least N FILE REGEX
at_least () { [ "$(count_qids "$2" "$3")" -ge "$1" ]; }

# ---- our site: the user, ndrsift, Dovecot --------------------------------

# mta_setup_site: creates the user, copies ndrsift, the rules and the
# contrib files into $t, writes $t/ndrsift.conf ($1: [sentlog] servers)
# and $t/dovecot.conf. Sets $ndr, $conf, $home, $lda, $setup_error.
mta_setup_site () {
	setup_error=
	# Another e2e test may be creating the same user at this moment.
	i=0
	while ! id -u "$mta_user" >/dev/null 2>&1; do
		useradd -m -s /bin/sh "$mta_user" >"$t/useradd.err" 2>&1 && break
		i=$((i + 1))
		if [ $i -ge 10 ]; then
			setup_error="useradd -m $mta_user failed: $(cat "$t/useradd.err")"
			return
		fi
		sleep 0.5
	done
	# The servers' users (postfix, exim's) and $mta_user walk into $t.
	chmod 711 "$t"
	home=$t/home
	mkdir -p "$home" "$t/bin" "$t/var" "$t/sieve" "$t/sieve-filter"
	chown "$mta_user:" "$home"
	chmod 755 "$t/var"
	cp "$NDRSIFT" "$t/bin/ndrsift" && cp -R "$top_srcdir/rules" "$t/rules" ||
		{ setup_error="cannot copy $NDRSIFT and the rules into $t"; return; }
	ndr=$t/bin/ndrsift
	conf=$t/ndrsift.conf
	cat >"$conf" <<EOF
[local]
domains=ourdomain.test
relays=mx.ourdomain.test
networks=127.0.0.1/32
[sentlog]
path=$t/var/sent.db
servers=$1
# The servers started seconds ago, on this one clock: no mail was queued
# before their log begins, and no clock is off. (At a real site the log
# must cover the 5 days and 15 minutes before a hand-off.)
queue_lifetime=0
clock_skew=0
[rules]
dirs=$t/rules
EOF
	# The shipped Dovecot files, their paths moved into $t.
	sed -e "s#/usr/local/bin/ndrsift#$ndr#" -e "s#/etc/ndrsift/ndrsift.conf#$conf#" \
		"$top_srcdir/contrib/dovecot/sieve-filter/ndrsift" >"$t/sieve-filter/ndrsift"
	sed -e "s#/usr/lib/dovecot/sieve-filter#$t/sieve-filter#" \
		-e "s#/usr/lib/dovecot/sieve-execute#$t/sieve-execute#" \
		-e "s#/etc/dovecot/sieve/ndrsift.sieve#$t/sieve/ndrsift.sieve#" \
		"$top_srcdir/contrib/dovecot/90-ndrsift.conf" >"$t/90-ndrsift.conf"
	cp "$top_srcdir/contrib/sieve/ndrsift.sieve" "$t/sieve/"
	printf 'mail_location = maildir:%s/Maildir\nlog_path = /dev/stderr\n!include %s/90-ndrsift.conf\n' \
		"$home" "$t" >"$t/dovecot.conf"
	chmod -R a+rX "$t/bin" "$t/rules" "$t/sieve" "$t/sieve-filter" "$conf" "$t/dovecot.conf" "$t/90-ndrsift.conf"
	chmod 755 "$t/sieve-filter/ndrsift"
	grep -q "$ndr --config $conf" "$t/sieve-filter/ndrsift" ||
		setup_error="contrib/dovecot/sieve-filter/ndrsift does not run /usr/local/bin/ndrsift --config /etc/ndrsift/ndrsift.conf"
	lda="/usr/lib/dovecot/dovecot-lda -c $t/dovecot.conf"
}

# need_site_tools: the client side both tests need.
need_site_tools () {
	[ "$(id -u)" = 0 ] || e2e_unavailable "needs root: it starts mail servers and delivers as a created user"
	need_cmd /usr/lib/dovecot/dovecot-lda "dovecot-lda not installed (Debian package dovecot-core)"
	ls /usr/lib*/dovecot/modules/sieve/*extprograms* >/dev/null 2>&1 ||
		e2e_unavailable "the sieve_extprograms plugin is missing (Debian package dovecot-sieve)"
	need_cmd swaks "swaks not installed (Debian package swaks): it plays the spammer"
	need_cmd useradd "useradd not installed (Debian package passwd)"
}

# ---- Postfix instances (postfix.test, shipping.test) ----------------------

# postfix_instance NAME PORT: writes $t/NAME/etc/{main.cf,master.cf} for
# an instance listening on 127.0.0.1:PORT, with its queue, data and log
# beside etc (not in it: `postfix check` wants all of etc owned by root).
# Settings of the instance follow on stdin. It logs to $t/NAME/log/maillog
# through postlogd or, with pf_syslog=1, through syslog(3) as "postfix",
# as a packaged Postfix does.
pf_syslog=0
postfix_instance () {
	d=$t/$1
	mkdir -p "$d/etc" "$d/queue" "$d/data" "$d/log"
	chown postfix: "$d/data"
	{
		cat <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
EOF
		[ "$pf_syslog" = 1 ] || cat <<EOF
# Logs without syslog; postlogd only writes under maillog_file_prefixes.
maillog_file = $d/log/maillog
maillog_file_prefixes = $d/log
syslog_name = postfix-$1
EOF
		cat <<EOF
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_dns_support_level = disabled
alias_database =
biff = no
# Retries come fast: the test waits for them.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
		cat
	} >"$d/etc/main.cf"
	# No chroot: the queue is in the test dir.
	cat >"$d/etc/master.cf" <<EOF
127.0.0.1:$2 inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}

# pf_start NAME PORT [WRAPPER...]: starts the instance (through WRAPPER, a
# command that runs its arguments, if given) and waits until it listens;
# on failure $setup_error says why, with `postfix check`'s complaints
# (which it prints only to a terminal, hence script).
pf_start () {
	d=$t/$1 pf_port=$2
	shift 2
	if out=$("$@" postfix -c "$d/etc" start 2>&1) && wait_for 10 listening "$pf_port"; then
		: >"$d/started"
		read -r pid <"$d/queue/pid/master.pid" && on_exit_kill "$pid"
		return 0
	fi
	setup_error="postfix -c $d/etc start failed: $out
$(script -qec "postfix -c $d/etc check" /dev/null 2>&1)
$(tail -5 "$d/log/maillog" 2>/dev/null)"
	return 1
}

# ---- the assertions ------------------------------------------------------

# stored_with MSGID: "inbox PATH" or "junk PATH" for each stored message
# that quotes MSGID, one a line.
stored_with () {
	for box in inbox:"$home/Maildir" junk:"$home/Maildir/.Junk"; do
		find "${box#*:}/new" "${box#*:}/cur" -type f 2>/dev/null | while read -r f; do
			grep -qF "$1" "$f" && echo "${box%%:*} $f"
		done
	done
}

# verdict_of FILE: the X-NDR-Verdict fields of FILE's header, unfolded.
verdict_of () {
	awk '/^\r?$/ { exit }
	     /^[ \t]/ { if (v != "") { sub(/^[ \t]+/, " "); v = v $0 }; next }
	     { if (v != "") print v; v = (tolower($0) ~ /^x-ndr-verdict[ \t]*:/) ? $0 : "" }
	     END { if (v != "") print v }' "$1"
}

# expect_bounce DESC MSGID WHERE VERDICT TEST: exactly one bounce quoting
# MSGID was delivered, into WHERE (inbox|junk), with one X-NDR-Verdict
# field whose word is VERDICT and whose tests= list has TEST: the sent-log
# evidence the verdict must rest on. On failure, ndrsift's explanation of
# the stored message and $mta_diag.
expect_bounce () {
	desc=$1 msgid=$2 want_where=$3 want=$4 want_test=$5
	found=$(stored_with "$msgid")
	if [ -z "$found" ]; then
		not_ok "$desc" "no delivered message quotes $msgid" "$mta_diag"
		return
	fi
	if [ "$(echo "$found" | wc -l)" != 1 ]; then
		not_ok "$desc" "more than one delivered message quotes $msgid:" "$found"
		return
	fi
	where=${found%% *} f=${found#* }
	v=$(verdict_of "$f")
	word=$(printf '%s\n' "$v" | sed -n 's/^[^:]*:[ \t]*\([a-z]*\);.*/\1/p')
	n=$(printf '%s\n' "$v" | grep -c .)
	tests=$(printf '%s\n' "$v" | sed -n 's/.*; *tests=\([^;]*\).*/\1/p' | tr -d ' \t')
	if [ "$where" = "$want_where" ] && [ "$n" = 1 ] && [ "$word" = "$want" ] &&
		echo ",$tests," | grep -q ",$want_test,"; then
		ok "$desc"
	else
		not_ok "$desc" "delivered to $where with ${v:-no verdict header}; expected $want_where with $want, tests=...$want_test..." \
			"$("$ndr" --config "$conf" explain "$f" 2>&1 | head -60)"
	fi
}
