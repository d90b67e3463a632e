#!/usr/bin/env python3
"""Uses a server's ACL users the way applications do, through redis-py 8.

Usage: acl_check.py PORT

Creates users with redis-py's acl_setuser, connects as each with
redis.Redis(username=..., password=...) in RESP2 and RESP3, checks what
they may and may not do (NOPERM as redis-py's NoPermissionError, a wrong
password as AuthenticationError), reads acl_getuser, acl_list, acl_log
and acl_dryrun as redis-py parses them, and exits non-zero with the
failed checks listed. tests/it/acl.rs runs it against Efis and, under
EFIS_TEST_SERVER=redis, against redis-server.
"""

import sys

import redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

failures = []


def check(label, ok, detail=""):
    print(f"{label}: {'ok' if ok else 'FAILED ' + repr(detail)}", flush=True)
    if not ok:
        failures.append(label)


def main():
    port = int(sys.argv[1])
    admin = redis.Redis(port=port, decode_responses=True)
    admin.acl_deluser("py-app", "py-reader")
    admin.acl_log_reset()
    check(
        "acl_setuser app",
        admin.acl_setuser(
            "py-app",
            enabled=True,
            passwords=["+app-secret"],
            keys=["app:*"],
            channels=["events"],
            commands=["-@all", "+get", "+set", "+del", "+publish", "+ping", "+acl|whoami"],
        ),
    )
    check(
        "acl_setuser reader",
        admin.acl_setuser("py-reader", enabled=True, nopass=True, keys=["%R~*"], commands=["+@read", "+ping"]),
    )
    for protocol in (2, 3):
        app = redis.Redis(port=port, username="py-app", password="app-secret", protocol=protocol, decode_responses=True)
        check(f"resp{protocol} whoami", app.acl_whoami() == "py-app", app.acl_whoami())
        check(f"resp{protocol} set own key", app.set("app:1", "v") is True)
        check(f"resp{protocol} get own key", app.get("app:1") == "v")
        try:
            app.set("other", "v")
            check(f"resp{protocol} set other key refused", False, "allowed")
        except NoPermissionError as e:
            check(f"resp{protocol} set other key refused", "keys used as arguments" in str(e), str(e))
        try:
            app.flushall()
            check(f"resp{protocol} flushall refused", False, "allowed")
        except NoPermissionError as e:
            check(f"resp{protocol} flushall refused", "'flushall' command" in str(e), str(e))
        check(f"resp{protocol} publish allowed channel", app.publish("events", "x") == 0)
        try:
            app.publish("secret", "x")
            check(f"resp{protocol} publish other channel refused", False, "allowed")
        except NoPermissionError as e:
            check(f"resp{protocol} publish other channel refused", "channels" in str(e), str(e))
        app.close()
    reader = redis.Redis(port=port, username="py-reader", password="anything", decode_responses=True)
    check("reader reads any key", reader.get("app:1") == "v")
    try:
        reader.set("app:1", "w")
        check("reader cannot write", False, "allowed")
    except NoPermissionError as e:
        check("reader cannot write", True, str(e))
    try:
        redis.Redis(port=port, username="py-app", password="wrong").ping()
        check("wrong password refused", False, "allowed")
    except AuthenticationError as e:
        check("wrong password refused", "WRONGPASS" in str(e) or "invalid username-password" in str(e), str(e))
    user = admin.acl_getuser("py-app")
    check("getuser enabled", user["enabled"] is True, user)
    check("getuser keys", user["keys"] == ["~app:*"], user["keys"])
    check("getuser channels", user["channels"] == ["&events"], user["channels"])
    check("getuser one password", len(user["passwords"]) == 1, user["passwords"])
    want_commands = {"+get", "+set", "+del", "+publish", "+ping", "+acl|whoami"}
    check("getuser commands", set(user["commands"]) == want_commands, user["commands"])
    listed = admin.acl_list()
    check("acl_list has both", any(l.startswith("user py-app on #") for l in listed), listed)
    log = admin.acl_log()
    reasons = sorted({(entry["reason"], entry["username"]) for entry in log})
    want = [("auth", "py-app"), ("channel", "py-app"), ("command", "py-app"), ("command", "py-reader"), ("key", "py-app")]
    check("acl_log reasons", reasons == want, reasons)
    check("acl_log fields", all("age-seconds" in e and "client-info" in e and "count" in e for e in log), log[:1])
    check("dryrun allowed", admin.acl_dryrun("py-app", "get", "app:2") == "OK")
    check(
        "dryrun denied",
        admin.acl_dryrun("py-app", "get", "x") == "This user has no permissions to access the 'x' key",
        admin.acl_dryrun("py-app", "get", "x"),
    )
    check("acl_deluser", admin.acl_deluser("py-app", "py-reader") == 2)
    try:
        admin.execute_command("ACL", "SETUSER", "bad", "+nosuch")
        check("bad rule refused", False, "allowed")
    except ResponseError as e:
        check("bad rule refused", "Unknown command or category name in ACL" in str(e), str(e))
    if failures:
        print(f"{len(failures)} failed: {failures}", flush=True)
        sys.exit(1)


main()
