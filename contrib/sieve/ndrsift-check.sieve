# ndrsift-check.sieve — the same as ndrsift.sieve, but the stored message is
# left exactly as it arrived: no X-NDR-Verdict header is added.
#
# Needs the sieve_extprograms plugin with vnd.dovecot.execute enabled and
# the program "ndrsift-check" in sieve_execute_bin_dir (a wrapper that runs
# `ndrsift check --verdict-only -`): see contrib/dovecot/90-ndrsift.conf.
#
# check --verdict-only prints the verdict word alone, with no newline
# (forged, legit, unknown, none or error), so :output stores exactly that.

require ["vnd.dovecot.execute", "variables", "fileinto", "mailbox"];

# execute as a test, not a command: if the program fails or is missing the
# test is false and the rest of the script still runs; the message stays in
# INBOX. The whole message goes to the program on stdin (:pipe).
if execute :pipe :output "verdict" "ndrsift-check" {
	if string :is "${verdict}" "forged" {
		fileinto :create "Junk";
		stop;
	}
}
