# ndrsift.sieve — file backscatter into Junk with ndrsift (Dovecot Pigeonhole)
#
# Needs the sieve_extprograms plugin with vnd.dovecot.filter enabled and a
# program named "ndrsift" in sieve_filter_bin_dir: see
# contrib/dovecot/90-ndrsift.conf. Sieve names a program, not a path (no
# '/'), so the wrapper in that directory says which binary, --config and
# --db to use.
#
# Use it as an admin script for every user (sieve_before = this file, then
# compile it with sievec), or as the start of a user's own script.
#
# ndrsift adds one header, e.g.
#   X-NDR-Verdict: forged; kind=dsn; score=11.0; tests=MSGID_NOT_SENT,...
# forged = a bounce of mail our servers never sent (backscatter);
# legit, unknown, none (not a bounce) and error stay in the inbox.

require ["vnd.dovecot.filter", "fileinto", "mailbox"];

# The message is replaced by ndrsift's output for the rest of the script
# and for delivery. ndrsift filter exits 0 and writes the mail back
# whatever happens (sent log missing or unreadable, parse errors, past its
# deadline); should the program itself be missing, the script fails and
# Dovecot keeps the message in INBOX.
filter "ndrsift" ["filter"];

# :matches "forged;*": the verdict word exactly. Never :contains "forged",
# which a rule name in tests= could contain. ndrsift removes any
# X-NDR-Verdict the sender wrote. :create makes Junk if it is missing; if
# it cannot be written, Dovecot keeps the message in INBOX instead.
if header :matches "X-NDR-Verdict" "forged;*" {
	fileinto :create "Junk";
	stop;
}
