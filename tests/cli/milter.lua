-- milter.lua — the protocol side of tests/cli/milter.test, for miltertest
-- (OpenDKIM's MTA simulator, Lua 5.3): miltertest -D sock=unix:PATH
-- -D case=NAME -D dir=DIR [-D ...] -s milter.lua. Each case plays one or
-- more SMTP transactions against a running `ndrsift milter` and checks
-- what the milter answered and asked the MTA to do; a failed check is a
-- Lua error (miltertest exits non-zero and prints it). Messages are files
-- of DIR (written by milter.test); their header fields are sent one by
-- one, folds joined with "\n" as MTAs pass them, the body in CRLF chunks.

-- miltertest does not print a script's error: it is printed here first.
local function fail (fmt, ...)
	local msg = case .. ": " .. string.format (fmt, ...)
	print ("FAIL: " .. msg)
	io.stdout:flush ()
	error (msg, 0)
end

local function read (path)
	local f = io.open (path, "rb")
	if f == nil then fail ("cannot read %s", path) end
	local data = f:read ("a")
	f:close ()
	return data
end

-- The reply to the step that no_reply (an SMFIP_NR_* flag) names: none
-- when the milter negotiated it away (mt.getreply would give the last
-- reply of another step), which means "continue".
local function reply_to (conn, no_reply)
	if mt.test_option (conn, no_reply) then return SMFIR_CONTINUE end
	return mt.getreply (conn)
end

-- A new connection from client (default 198.51.100.7), with connect
-- macros (a list of name, value, ...). Returns it and the reply.
local function open (macros, client, hostname)
	local conn = mt.connect (sock, 100, 0.1)
	if conn == nil then fail ("cannot connect to %s", sock) end
	if macros then mt.macro (conn, SMFIC_CONNECT, table.unpack (macros)) end
	if mt.conninfo (conn, hostname or "mx.remote.example", client or "198.51.100.7") ~= nil then
		fail ("conninfo failed")
	end
	return conn, reply_to (conn, SMFIP_NR_CONN)
end

local function send_message (conn, path)
	local data = read (path):gsub ("\r\n", "\n")
	local head, body = data:match ("^(.-)\n\n(.*)$")
	if head == nil then head, body = data, "" end
	local fields = {}
	for line in (head .. "\n"):gmatch ("(.-)\n") do
		if line:match ("^[ \t]") and #fields > 0 then
			fields[#fields] = fields[#fields] .. "\n" .. line
		else
			fields[#fields + 1] = line
		end
	end
	for _, field in ipairs (fields) do
		local name, value = field:match ("^([^:]+):[ \t]*(.*)$")
		if name and mt.header (conn, name, value) ~= nil then fail ("header %s", name) end
	end
	if mt.eoh (conn) ~= nil then fail ("eoh") end
	body = body:gsub ("\n", "\r\n")
	for i = 1, #body, 65535 do
		if mt.bodystring (conn, body:sub (i, i + 65534)) ~= nil then fail ("body chunk at %d", i) end
		if reply_to (conn, SMFIP_NR_BODY) == SMFIR_SKIP then break end
	end
end

-- One transaction: o.file (a name in dir), o.from (default "<>"), o.rcpts
-- (default alice), o.qid, o.auth ({auth_authen}). Returns the reply to
-- MAIL when it is not "continue", else the reply to the end of message.
local function transaction (conn, o)
	local mail = { "i", o.qid or "4ZqTEST" }
	if o.auth then
		mail[#mail + 1] = "{auth_authen}"
		mail[#mail + 1] = o.auth
	end
	mt.macro (conn, SMFIC_MAIL, table.unpack (mail))
	if mt.mailfrom (conn, o.from or "<>") ~= nil then fail ("mailfrom") end
	local r = reply_to (conn, SMFIP_NR_MAIL)
	if r ~= SMFIR_CONTINUE then return r, "mail" end
	for _, rcpt in ipairs (o.rcpts or { "<alice@example.com>" }) do
		mt.macro (conn, SMFIC_RCPT, "{rcpt_addr}", (rcpt:gsub ("[<>]", "")))
		if mt.rcptto (conn, rcpt) ~= nil then fail ("rcpt %s", rcpt) end
	end
	-- (miltertest stops with no word at mt.data to a milter that asked
	-- for no DATA step)
	if not mt.test_option (conn, SMFIP_NODATA) and mt.data (conn) ~= nil then fail ("data") end
	send_message (conn, dir .. "/" .. o.file)
	local e = mt.eom (conn)
	if e ~= nil then return nil, e end
	return mt.getreply (conn), "eom"
end

local function reply_name (r)
	for _, n in ipairs ({ "CONTINUE", "ACCEPT", "REJECT", "TEMPFAIL", "DISCARD", "REPLYCODE", "SKIP" }) do
		if r == _ENV["SMFIR_" .. n] then return n end
	end
	return tostring (r)
end

-- One message on a connection of its own; checks that the end of message
-- was answered want (default CONTINUE). Returns the connection, still
-- open, for eom_check.
local function message (o, want)
	local conn = open (o.macros, o.client)
	local r, where = transaction (conn, o)
	want = want or "CONTINUE"
	if reply_name (r) ~= want then
		fail ("%s: the milter answered %s at %s, not %s", o.file, reply_name (r), tostring (where), want)
	end
	return conn
end

-- The verdict header the milter inserted, or nil.
local function inserted (conn)
	if not mt.eom_check (conn, MT_HDRINSERT, "X-NDR-Verdict") then return nil end
	return (mt.getheader (conn, "X-NDR-Verdict", 0) or ""):gsub ("\n\t", " ")
end

local function expect_header (o, pattern, want_reply)
	local conn = message (o, want_reply)
	local h = inserted (conn)
	if h == nil then fail ("%s: no verdict header inserted", o.file) end
	if not h:find (pattern) then fail ("%s: header '%s' does not match '%s'", o.file, h, pattern) end
	if mt.eom_check (conn, MT_QUARANTINE) then fail ("%s: held, with action %s", o.file, action or "tag") end
	mt.disconnect (conn)
	print (o.file .. ": " .. h)
	return h
end

local function expect_untouched (o)
	local conn = message (o)
	if mt.eom_check (conn, MT_HDRINSERT) or mt.eom_check (conn, MT_HDRADD) or mt.eom_check (conn, MT_HDRCHANGE)
		or mt.eom_check (conn, MT_QUARANTINE) then
		fail ("%s: ordinary mail was changed", o.file)
	end
	mt.disconnect (conn)
	print (o.file .. ": untouched")
end

local function wait_for_log (text, seconds)
	for _ = 1, seconds * 10 do
		local f = io.open (log, "rb")
		if f then
			local data = f:read ("a")
			f:close ()
			if data:find (text, 1, true) then return end
		end
		mt.sleep (0.1)
	end
	fail ("the log never said '%s'", text)
end

local cases = {}

-- action=tag: bounces get the header, ordinary mail nothing.
function cases.tag ()
	-- Only the end of the message is answered: every other reply is a
	-- round trip the MTA would wait for, message after message.
	local conn = open ()
	for _, o in ipairs ({ "NR_CONN", "NR_MAIL", "NR_RCPT", "NR_HDR", "NR_EOH", "NR_BODY", "NOHELO", "NODATA",
	                      "NOUNKNOWN" }) do
		if not mt.test_option (conn, _ENV["SMFIP_" .. o]) then fail ("SMFIP_%s was not negotiated", o) end
	end
	mt.disconnect (conn)
	expect_header ({ file = "forged.eml", qid = "4ZqFORGED" }, "^forged; kind=dsn;.*MSGID_NOT_SENT")
	expect_header ({ file = "legit.eml", qid = "4ZqLEGIT" }, "^legit; kind=dsn;.*MSGID_SENT")
	expect_untouched ({ file = "ordinary.eml", from = "<bob@remote.example>" })
	-- A bounce kind with a sender (an auto-reply) is judged too.
	expect_header ({ file = "autoreply.eml", from = "<bob@remote.example>" }, "^[a-z]+; kind=autoreply;")
	-- A null sender always gets the header, even when it is no bounce.
	expect_header ({ file = "ordinary.eml" }, "^none; kind=none;")
end

-- The sender's verdict headers go, any case; ours comes in.
function cases.preset ()
	local conn = message ({ file = "preset.eml" })
	if not mt.eom_check (conn, MT_HDRDELETE, "X-NDR-Verdict") then fail ("the sender's header was not removed") end
	local h = inserted (conn)
	if h == nil or not h:find ("^forged;") then fail ("header '%s'", tostring (h)) end
	mt.disconnect (conn)
	conn = message ({ file = "preset-ordinary.eml", from = "<bob@remote.example>" })
	if not mt.eom_check (conn, MT_HDRDELETE, "X-NDR-Verdict") then fail ("ordinary mail: the sender's header stayed") end
	if mt.eom_check (conn, MT_HDRINSERT) then fail ("ordinary mail got a header") end
	mt.disconnect (conn)
	print ("preset: removed")
end

-- A message that is not judged: no verdict header, no hold, but the
-- sender's verdict headers go all the same.
local function expect_stripped_only (conn, o, what)
	local r = transaction (conn, o)
	if r ~= SMFIR_CONTINUE then fail ("%s: %s, not CONTINUE", what, reply_name (r)) end
	if not mt.eom_check (conn, MT_HDRDELETE, "X-NDR-Verdict") then fail ("%s: the sender's header stayed", what) end
	if mt.eom_check (conn, MT_HDRINSERT) or mt.eom_check (conn, MT_QUARANTINE) then fail ("%s: judged", what) end
end

-- Our own outbound mail is not judged; its verdict headers still go.
function cases.skip ()
	for _, m in ipairs ({ { "{daemon_port}", "587" }, { "{daemon_name}", "ORIGINATING" }, { "{daemon_name}", "MSA" } }) do
		local what = m[1] .. "=" .. m[2]
		local conn, r = open (m)
		if r ~= SMFIR_CONTINUE then fail ("connect with %s: %s, not CONTINUE", what, reply_name (r)) end
		-- Two messages on the connection: neither is judged.
		expect_stripped_only (conn, { file = "preset.eml" }, what)
		expect_stripped_only (conn, { file = "preset.eml" }, what .. ", second message")
		mt.disconnect (conn)
	end
	local conn, r = open ({ "{daemon_port}", "25", "{daemon_name}", "mx.example.com" })
	if r ~= SMFIR_CONTINUE then fail ("port 25: %s", reply_name (r)) end
	expect_stripped_only (conn, { file = "preset.eml", auth = "alice" }, "{auth_authen}")
	-- The next message of that connection, not authenticated, is judged.
	r = transaction (conn, { file = "preset.eml" })
	local h = inserted (conn)
	if r ~= SMFIR_CONTINUE or h == nil or not h:find ("^forged;") then fail ("after {auth_authen}: %s", tostring (h)) end
	mt.disconnect (conn)
	print ("skip: not judged, the sender's headers removed")
end

function cases.reject ()
	-- A reply code of the milter's own (the code and text are the e2e
	-- test's: miltertest's MT_SMTPREPLY check does not work).
	local conn = message ({ file = "forged.eml", qid = "4ZqREJ" }, "REPLYCODE")
	if mt.eom_check (conn, MT_HDRINSERT) then fail ("a rejected message was tagged too") end
	mt.disconnect (conn)
	expect_header ({ file = "legit.eml" }, "^legit;")
	-- Feedback loops unsubscribe an address that rejects: tagged only.
	expect_header ({ file = "feedback.eml" }, "^forged; kind=feedback;")
	-- Dated past the log's coverage (importer lag): unknown, not rejected.
	expect_header ({ file = "lag.eml" }, "^unknown;.*LOG_NOT_COVERING")
	print ("reject: 550 for the forged only")
end

-- Forged for carol (no BATV tag), not for her tagged address: the
-- trusting verdict is written and nothing is rejected; carol alone is.
function cases.reject_batv ()
	expect_header ({ file = "batv.eml", rcpts = { "<carol@example.com>", "<" .. batv .. ">" } }, "^unknown;.*BATV_VALID")
	expect_header ({ file = "batv.eml", rcpts = { "<" .. batv .. ">", "<carol@example.com>" } }, "^unknown;.*BATV_VALID")
	local conn = message ({ file = "batv.eml", rcpts = { "<carol@example.com>" } }, "REPLYCODE")
	mt.disconnect (conn)
	print ("reject_batv: 550 only when forged for every recipient")
end

function cases.missing ()
	expect_header ({ file = "forged.eml" }, "^unknown;.*NO_SENTLOG")
end

function cases.quarantine ()
	local conn = message ({ file = "forged.eml", qid = "4ZqHOLD" })
	if not mt.eom_check (conn, MT_QUARANTINE) then fail ("not held") end
	local h = inserted (conn)
	if h == nil or not h:find ("^forged;") then fail ("held without the header: %s", tostring (h)) end
	mt.disconnect (conn)
	expect_header ({ file = "legit.eml" }, "^legit;")
	print ("quarantine: held")
end

-- The sent log is locked: the judgement outlasts [milter] deadline_ms.
function cases.deadline ()
	expect_header ({ file = "legit.eml", qid = "4ZqLATE" }, "^error; reason=deadline$")
	-- Ordinary mail past the deadline: no header at all.
	expect_untouched ({ file = "ordinary.eml", from = "<bob@remote.example>", qid = "4ZqLATE2" })
end

function cases.judged_again ()
	expect_header ({ file = "legit.eml" }, "^legit;")
end

-- Over NS_MAX_MESSAGE_BYTES: the milter answers "skip" to the body once
-- it has that much, and judges what it has.
function cases.oversized ()
	local h = expect_header ({ file = "big.eml", qid = "4ZqBIG" }, "^%a+; kind=")
	if h:find ("^error") then fail ("not judged: %s", h) end
end

-- The daemon dies mid-message: the MTA sees the connection go.
function cases.kill ()
	local conn = open ()
	mt.macro (conn, SMFIC_MAIL, "i", "4ZqKILL")
	if mt.mailfrom (conn, "<>") ~= nil or mt.rcptto (conn, "<alice@example.com>") ~= nil then fail ("envelope") end
	if mt.header (conn, "Subject", "Undelivered Mail Returned to Sender") ~= nil then fail ("header") end
	os.execute ("kill -KILL " .. pid)
	wait_gone ()
	local e = mt.eoh (conn)
	if e == nil then e = mt.bodystring (conn, "x\r\n") end
	if e == nil then e = mt.eom (conn) end
	if e == nil and mt.getreply (conn) == SMFIR_CONTINUE then fail ("the end of message was answered by a dead milter") end
	print ("kill: the MTA saw: " .. tostring (e))
end

function wait_gone ()
	for _ = 1, 100 do
		if not os.execute ("kill -0 " .. pid .. " 2>/dev/null") then return end
		mt.sleep (0.1)
	end
	fail ("the milter outlived SIGKILL")
end

-- SIGUSR1 with a changed score, then with a broken rules file, while a
-- connection stays open.
function cases.reload ()
	local conn = open ()
	local r = transaction (conn, { file = "forged.eml", qid = "4ZqR1" })
	local h = inserted (conn)
	if r ~= SMFIR_CONTINUE or h == nil or not h:find ("^forged;") then fail ("before: %s", tostring (h)) end
	os.execute (reload1)
	wait_for_log ("reloaded", 20)
	r = transaction (conn, { file = "forged.eml", qid = "4ZqR2" })
	h = inserted (conn)
	if r ~= SMFIR_CONTINUE or h == nil or not h:find ("^unknown;") then fail ("after the reload: %s", tostring (h)) end
	os.execute (reload2)
	wait_for_log ("reload failed", 20)
	r = transaction (conn, { file = "forged.eml", qid = "4ZqR3" })
	h = inserted (conn)
	if r ~= SMFIR_CONTINUE or h == nil or not h:find ("^unknown;") then fail ("after the broken reload: %s", tostring (h)) end
	mt.disconnect (conn)
	print ("reload: forged, then unknown, still unknown")
end

-- The sent log replaced by a rename: every worker reads the new one.
function cases.replaced ()
	expect_header ({ file = "later.eml" }, "^forged;.*MSGID_NOT_SENT")
	os.execute (replace)
	for i = 1, 8 do
		expect_header ({ file = "later.eml", qid = "4ZqNEW" .. i }, "^legit;.*MSGID_SENT")
	end
end

-- Past NS_MILTER_MAX_CONNECTIONS a connection goes on unjudged.
function cases.limit ()
	local conns = {}
	for i = 1, limit do
		local conn, r = open ()
		if r ~= SMFIR_CONTINUE then fail ("connection %d: %s", i, reply_name (r)) end
		conns[i] = conn
	end
	local extra, r = open ()
	if r ~= SMFIR_CONTINUE then fail ("connection %d: %s, not CONTINUE", limit + 1, reply_name (r)) end
	expect_stripped_only (extra, { file = "preset.eml" }, "connection " .. (limit + 1))
	mt.disconnect (extra)
	for _, conn in ipairs (conns) do mt.disconnect (conn) end
	-- Once they are gone (each close is its own thread's), judging goes on.
	wait_for_log ("unjudged", 5)
	-- A connection opened before the milter has seen them all go is not
	-- judged either (no header): tried again.
	for _ = 1, 100 do
		local conn, r = open ()
		if r ~= SMFIR_CONTINUE then fail ("after: connect: %s", reply_name (r)) end
		r = transaction (conn, { file = "forged.eml" })
		local h = inserted (conn)
		mt.disconnect (conn)
		if h ~= nil then
			if r ~= SMFIR_CONTINUE or not h:find ("^forged;") then fail ("after: %s", h) end
			print ("limit: the extra connection went on unjudged")
			return
		end
		mt.sleep (0.1)
	end
	fail ("no connection was judged again")
end

-- What the client, the MTA and the envelope say reaches the log escaped.
function cases.hostile ()
	local conn = open (nil, "unspec", "evil\27[31m.example")
	local r = transaction (conn, { file = "forged.eml", qid = "4Zq\27[2J\r\n",
	                               rcpts = { "<alice\27]0;owned\7@example.com>" } })
	if r ~= SMFIR_CONTINUE then fail ("reply %s", reply_name (r)) end
	mt.disconnect (conn)
	print ("hostile: answered")
end

local run = cases[case]
if run == nil then fail ("no such case") end
run ()
