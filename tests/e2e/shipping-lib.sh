# shipping-lib.sh — the site of tests/e2e/shipping.test and
# bench/shipping-lag.sh: two Postfix servers that ship their logs with
# rsyslog, as contrib/rsyslog has it, to two hosts that each keep a sent
# log (sourced after tests/cli/lib.sh and tests/e2e/mta-lib.sh, POSIX sh).
#
#   mx1, mx2  Postfix on 127.0.0.1:10045 and :10046, each with syslog_name
#             postfix and a /dev/log of its own: it runs in a mount
#             namespace of its own whose /dev/log is its host's rsyslogd's
#             socket. alice@ourdomain.test is delivered locally, to a
#             Maildir of each server ($t/mxN/Maildir, as nobody);
#             sink.test goes to smtp-sink on 10047, which takes all;
#             nowhere.test is routed to an error: transport.
#   fw1, fw2  the MTA hosts' rsyslogd (host names mx1, mx2): mail.* into
#             their own mail.log ($t/fwN/mail.log, what each MTA logged)
#             and contrib/rsyslog/ndrsift-forward.conf, once per log host:
#             mx1 over RELP, mx2 over plain TCP (as the recipe says to do
#             without rsyslog-relp).
#   A         the central log host: rsyslogd with
#             contrib/rsyslog/ndrsift-central.conf (TCP 10514, RELP 10515)
#             writing $t/A/log/mail-central/postfix.log, followed into
#             $t/A/sent.db by ndrsift-follow@postfix.service's command.
#   B         a delivery host with a sent log of its own, fed by the same
#             forwarders: the same recipe on 10516 and 10517, its own file,
#             importer and database.
#
# Each program runs as written in contrib/, its paths moved into $t.
# ship_need: skips (or fails with NDRSIFT_REQUIRE_ALL=1) when a program is
# missing; ship_start: $setup_error says what failed.

port_mx1=10045 port_mx2=10046 port_sink=10047
port_a_tcp=10514 port_a_relp=10515 port_b_tcp=10516 port_b_relp=10517
ship_ports="$port_mx1 $port_mx2 $port_sink $port_a_tcp $port_a_relp $port_b_tcp $port_b_relp"

# ship_need: the programs the site runs.
ship_need () {
	[ "$(id -u)" = 0 ] || e2e_unavailable "needs root: it starts mail and syslog servers and mount namespaces"
	need_cmd postfix "postfix not installed (Debian package postfix; preseed postfix/main_mailer_type 'No configuration')"
	need_cmd smtp-sink "smtp-sink not installed (Debian package postfix)"
	need_cmd sendmail "sendmail not installed (Debian package postfix)"
	id -u postfix >/dev/null 2>&1 || e2e_unavailable "no user postfix (Debian package postfix)"
	id -u nobody >/dev/null 2>&1 || e2e_unavailable "no user nobody"
	need_cmd rsyslogd "rsyslogd not installed (Debian package rsyslog)"
	need_cmd swaks "swaks not installed (Debian package swaks): it plays the spammer"
	need_cmd python3 "python3 not installed (Debian package python3)"
	for c in unshare nsenter mount logger; do
		need_cmd $c "$c not installed (Debian packages util-linux, mount, bsdutils)"
	done
	printf 'module(load="omrelp")\nmodule(load="imrelp")\n*.* action(type="omfile" file="/dev/null")\n' >"$t/relp-probe.conf"
	rsyslogd -N1 -f "$t/relp-probe.conf" >"$t/relp-probe.out" 2>&1 ||
		e2e_unavailable "rsyslog cannot load omrelp and imrelp (Debian package rsyslog-relp): $(grep -v '^rsyslogd: version\|End of config' "$t/relp-probe.out" | head -3)"
	# A /dev of its own for each Postfix: a private mount namespace and
	# an overlay over /dev.
	mkdir -p "$t/probe/ns"
	unshare -m --propagation private sh -c '
		mount -t tmpfs ndrsift-probe "$1" && mkdir "$1/upper" "$1/work" &&
		mount -t overlay ndrsift-probe -o "lowerdir=/dev,upperdir=$1/upper,workdir=$1/work" /dev &&
		ln -sf /nonexistent /dev/log && [ -c /dev/null ]' sh "$t/probe/ns" >"$t/probe.out" 2>&1 ||
		e2e_unavailable "cannot give a process a /dev/log of its own (unshare -m and an overlay mount on /dev): $(head -3 "$t/probe.out")"
}

# with_devlog NAME COMMAND...: runs COMMAND in a mount namespace of its
# own whose /dev is an overlay of the real one (on a tmpfs of that
# namespace) with /dev/log a link to fwNAME's socket. What COMMAND leaves
# running (Postfix's master and its children) stays in it.
with_devlog () {
	wd_name=$1
	shift
	unshare -m --propagation private sh -c '
		sock=$1 dir=$2
		shift 2
		mount -t tmpfs ndrsift-devlog "$dir" && mkdir "$dir/upper" "$dir/work" &&
		mount -t overlay ndrsift-devlog -o "lowerdir=/dev,upperdir=$dir/upper,workdir=$dir/work" /dev &&
		rm -f /dev/log && ln -s "$sock" /dev/log && exec "$@"' sh "$t/fw$wd_name/log.sock" "$t/mx$wd_name/ns" "$@"
}

# in_mx N COMMAND...: runs COMMAND where mxN runs (its /dev/log).
in_mx () {
	read -r in_pid <"$t/mx$1/queue/pid/master.pid" && shift && nsenter -t "$in_pid" -m -- "$@"
}

# heartbeat N: contrib/systemd/ndrsift-heartbeat.service's command, run
# on mxN.
heartbeat () {
	in_mx "$1" $(sed -n 's/^ExecStart=//p' "$top_srcdir/contrib/systemd/ndrsift-heartbeat.service")
}

# ---- the syslog daemons ----------------------------------------------------

# rs_start NAME: starts rsyslogd with $t/NAME/rsyslog.conf in the
# foreground (its pid in $t/NAME/pid.run); false if it does not start.
rs_start () {
	rsyslogd -n -f "$t/$1/rsyslog.conf" -i "$t/$1/rsyslogd.pid" >>"$t/$1/rsyslogd.out" 2>&1 &
	echo $! >"$t/$1/pid.run"
	on_exit_kill $!
	wait_for 10 test -s "$t/$1/rsyslogd.pid"
}

# rs_stop NAME: SIGTERM, as `systemctl stop rsyslog` does, and waits for
# it to finish writing.
rs_stop () {
	read -r rs_pid <"$t/$1/pid.run"
	kill -TERM "$rs_pid" && wait_for 20 exited "$rs_pid" || return 1
	wait "$rs_pid" 2>/dev/null
	rm -f "$t/$1/rsyslogd.pid"
}

# exited PID: the process (a child of this shell) has ended: gone, or a
# zombie that `wait` reaps.
exited () {
	[ ! -e "/proc/$1" ] || [ "$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# central_conf NAME TCP RELP: the log host NAME's rsyslog.conf: the shipped
# recipe, its ports and paths moved here (and bound to loopback).
central_conf () {
	mkdir -p "$t/$1/work"
	{
		# processInternalMessages: rsyslogd's own notices go through
		# these rules, as on Debian, where they come back from journald.
		printf 'global(workDirectory="%s" processInternalMessages="on")\n' "$t/$1/work"
		sed -e "s|port=\"514\"|port=\"$2\" address=\"127.0.0.1\"|" \
			-e "s|port=\"2514\"|port=\"$3\" address=\"127.0.0.1\"|" \
			-e "s|/var/log/|$t/$1/log/|g" "$top_srcdir/contrib/rsyslog/ndrsift-central.conf"
		printf 'if $programname startswith "rsyslogd" then action(type="omfile" file="%s")\n' "$t/$1/rsyslogd.log"
	} >"$t/$1/rsyslog.conf"
}

# forward_conf N PROTO: mxN's rsyslog.conf: what Debian's rsyslog.conf
# does for mail (imuxsock on /dev/log, mail.* to mail.log), then
# contrib/rsyslog/ndrsift-forward.conf with its action once for A and
# once for B (queues of their own). PROTO tcp: omfwd over plain TCP, as
# the recipe's header says. Suspended actions are retried every second
# instead of every 10, to keep the test short.
forward_conf () {
	d=$t/fw$1
	mkdir -p "$d/spool"
	if [ "$2" = relp ]; then pa=$port_a_relp pb=$port_b_relp; else pa=$port_a_tcp pb=$port_b_tcp; fi
	{
		printf 'global(workDirectory="%s" localHostname="mx%s" processInternalMessages="on")\n' "$d/spool" "$1"
		printf 'module(load="imuxsock" SysSock.Name="%s")\n' "$d/log.sock"
		printf 'mail.* action(type="omfile" file="%s")\n' "$d/mail.log"
		printf 'if $programname startswith "rsyslogd" then action(type="omfile" file="%s")\n' "$d/rsyslogd.log"
		awk -v proto="$2" -v pa="$pa" -v pb="$pb" '
			proto == "tcp" && /^module\(load="omrelp"\)/ { next }
			/^ +action\(/ { act = ""; inact = 1 }
			inact {
				act = act $0 "\n"
				if ($0 !~ /\)[ \t]*$/) next
				inact = 0
				if (proto == "tcp") sub(/type="omrelp"/, "type=\"omfwd\" protocol=\"tcp\"", act)
				sub(/target="loghost.example.com"/, "target=\"127.0.0.1\"", act)
				sub(/action.resumeInterval="10"/, "action.resumeInterval=\"1\"", act)
				a = act; sub(/port="[0-9]+"/, "port=\"" pa "\"", a); printf "%s", a
				b = act; sub(/port="[0-9]+"/, "port=\"" pb "\"", b)
				sub(/queue.filename="[a-z_]+"/, "queue.filename=\"ndrsift_fwd_b\"", b); printf "%s", b
				next
			}
			{ print }' "$top_srcdir/contrib/rsyslog/ndrsift-forward.conf"
	} >"$d/rsyslog.conf"
}

# ---- the importers ---------------------------------------------------------

# site_conf NAME: the ndrsift.conf of the log host NAME.
site_conf () {
	mkdir -p "$t/$1/log"
	cat >"$t/$1/ndrsift.conf" <<EOF
[local]
domains=ourdomain.test
relays=mx1.ourdomain.test;mx2.ourdomain.test
networks=127.0.0.1/32
[sentlog]
path=$t/$1/sent.db
servers=mx1;mx2
# The servers started seconds ago, on this one clock: no mail was queued
# before their log begins, and no clock is off.
queue_lifetime=0
clock_skew=0
[rules]
dirs=$top_srcdir/rules
EOF
	cat "$test_conf" >>"$t/$1/ndrsift.conf"
}

# nd NAME ARGS...: ndrsift with the log host NAME's config.
nd () { nd_host=$1; shift; "$NDRSIFT" --config "$t/$nd_host/ndrsift.conf" "$@"; }

# importer_start NAME: ndrsift-follow@postfix.service's command on the log
# host NAME, in the background (its pid in $t/NAME/importer.pid).
importer_start () {
	imp=$(sed -n 's/^ExecStart=//p' "$top_srcdir/contrib/systemd/ndrsift-follow@.service" |
		sed -e 's/%i/postfix/g' -e "s|/var/log/|$t/$1/log/|g" \
			-e "s|^/usr/bin/ndrsift |$NDRSIFT --config $t/$1/ndrsift.conf |")
	$imp 2>>"$t/$1/importer.err" &
	echo $! >"$t/$1/importer.pid"
	on_exit_kill $!
}

# messages_of NAME SERVER: how many messages the sent log of NAME holds
# for SERVER (log stats).
messages_of () {
	nd "$1" log stats 2>/dev/null | awk -v s="$2" '$1 == "server" && $2 == s { print $3; exit }'
}

# ---- the site --------------------------------------------------------------

ship_start () {
	setup_error=
	chmod 711 "$t"
	pf_syslog=1
	printf 'sink.test smtp:[127.0.0.1]:%s\nnowhere.test error:5.1.2 nowhere.test accepts no mail\n' \
		"$port_sink" >"$t/transport"
	for n in 1 2; do
		d=$t/mx$n
		mkdir -p "$d/Maildir" "$d/ns"
		chown nobody "$d/Maildir"
		printf 'alice %s/Maildir/\n' "$d" >"$d/aliases"
		postfix_instance mx$n "$(eval echo \$port_mx$n)" <<EOF
myhostname = mx$n.ourdomain.test
mydomain = ourdomain.test
myorigin = ourdomain.test
mydestination = ourdomain.test
mynetworks = 127.0.0.1/32
transport_maps = texthash:$t/transport
alias_maps = texthash:$d/aliases
# Accept any local part: an unknown one is bounced after the fact, which is
# how a forged message makes a server of ours send backscatter.
local_recipient_maps =
EOF
	done
	forward_conf 1 relp
	forward_conf 2 tcp
	central_conf A $port_a_tcp $port_a_relp
	central_conf B $port_b_tcp $port_b_relp
	site_conf A
	site_conf B

	smtp-sink -u postfix -h mx.sink.test 127.0.0.1:$port_sink 100 >"$t/sink.log" 2>&1 &
	on_exit_kill $!
	for h in A B fw1 fw2; do
		rs_start $h || { setup_error="rsyslogd ($h) did not start: $(cat "$t/$h/rsyslogd.out")"; return; }
	done
	wait_for 10 listening $port_a_relp && wait_for 10 listening $port_b_relp ||
		{ setup_error="the log hosts' rsyslogd do not listen: $(cat "$t/A/rsyslogd.out" "$t/A/rsyslogd.log" 2>/dev/null)"; return; }
	pf_start mx1 $port_mx1 with_devlog 1 && pf_start mx2 $port_mx2 with_devlog 2 || return
	wait_for 5 listening $port_sink || { setup_error="smtp-sink did not start: $(cat "$t/sink.log")"; return; }
	# Both servers' first lines reach both log hosts; then the importers
	# start on the files rsyslog created.
	heartbeat 1 && heartbeat 2 || { setup_error="the heartbeat did not run in the servers' namespaces"; return; }
	for h in A B; do
		for n in 1 2; do
			wait_for 20 grep -q " mx$n ndrsift-heartbeat: heartbeat" "$t/$h/log/mail-central/postfix.log" ||
				{ setup_error="mx$n's heartbeat did not reach $h: $(cat "$t/fw$n/rsyslogd.out" "$t/$h/rsyslogd.log" 2>/dev/null | tail -5)"; return; }
		done
		importer_start $h
	done
}

# ship_stop: the servers stop gracefully before the cleanup kills what is
# left.
mta_stop_hook () {
	for n in 1 2; do
		[ -f "$t/mx$n/started" ] && postfix -c "$t/mx$n/etc" stop
	done
}

id=$(date +%s).$$
# message MSGID TO: one message from alice, as her mail client writes it.
message () {
	printf 'From: Alice <alice@ourdomain.test>\nTo: <%s>\nSubject: shipping %s\nMessage-ID: %s\nDate: %s\n\nHello.\n' \
		"$2" "$1" "$1" "$(date -R)"
}
# send_mail N MSGID TO: alice submits a message on mxN (pickup: origin
# local).
send_mail () {
	message "$2" "$3" | sendmail -C "$t/mx$1/etc" -f alice@ourdomain.test "$3"
}

# dsn MSGID HANDOFF: a remote's DSN to alice quoting a message of hers
# with MSGID, handed off at HANDOFF (Unix seconds), received by mx1 a
# second later.
dsn () {
	h=$(date -u -R -d @"$2") r=$(date -u -R -d @"$(($2 + 1))")
	cat <<EOF
Return-Path: <>
Received: from mx.remote.test (mx.remote.test [192.0.2.25])
	by mx1.ourdomain.test (Postfix) with ESMTP id 4ZqQ1
	for <alice@ourdomain.test>; $r
From: MAILER-DAEMON@mx.remote.test (Mail Delivery System)
To: alice@ourdomain.test
Date: $r
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

The mail system could not deliver your message.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.remote.test
Arrival-Date: $h

Final-Recipient: rfc822; no-such-user@remote.test
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B1
Content-Type: text/rfc822-headers

From: Alice <alice@ourdomain.test>
To: no-such-user@remote.test
Subject: hello
Date: $h
Message-ID: $1

--B1--
EOF
}
