//! ACL users as Redis 7.0 has them: `ACL SETUSER` rules and their errors,
//! `GETUSER`'s reply shape, `LIST`'s canonical rule strings, `USERS`,
//! `DELUSER`, `WHOAMI`, `CAT`, `GENPASS`, `LOG`, `DRYRUN`, `SAVE`/`LOAD`
//! and `HELP`; `AUTH user pass` and `HELLO ... AUTH`, `-NOPERM` for
//! commands, keys and channels, `-WRONGPASS`, the ACL log entries they
//! make; users in `ACLFILE` across a restart; `redis-cli --user --pass`.
//! Every expected reply is Redis's: the same tests pass against
//! `redis-server` (`EFIS_TEST_SERVER=redis`).

use std::process::Command;

use crate::common::needs::{self, Need};
use crate::common::wire::{array, bulk, bulks, int, parse, Reply, Wire, NIL, OK};
use crate::common::{fresh_temp_dir, read_until_closed, resp, roundtrip, run_python_check, send, Server};

const P_HASH: &str = "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

fn setuser_error(rule: &str, why: &str) -> String {
    format!("-ERR Error in ACL SETUSER modifier '{rule}': {why}\r\n")
}

#[test]
fn setuser_list_and_getuser() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["ACL", "LIST"], array(&[bulk("user default on nopass ~* &* +@all")]));
    w.is(&["ACL", "SETUSER", "plain"], OK);
    w.is(&["ACL", "SETUSER", "reader", "on", ">p", "~k*", "%R~r*", "%W~w*", "&ch", "-@all", "+get"], OK);
    w.is(&["ACL", "SETUSER", "strings", "on", "nopass", "+@string"], OK);
    w.is(&["ACL", "SETUSER", "most", "+@all", "-@dangerous"], OK);
    w.is(&["ACL", "SETUSER", "sub", "on", "-@all", "+config|get", "allkeys", "allchannels"], OK);
    w.is(&["ACL", "SETUSER", "sel", "on", "nopass", "(~x*", "+set)", "(%R~y* +get)"], OK);
    let lines = [
        "user default on nopass ~* &* +@all".to_string(),
        "user most off resetchannels +@all -@dangerous".to_string(),
        "user plain off resetchannels -@all".to_string(),
        format!("user reader on #{P_HASH} ~k* %R~r* %W~w* resetchannels &ch -@all +get"),
        "user sel on nopass resetchannels -@all (~x* resetchannels -@all +set) (%R~y* resetchannels -@all +get)"
            .to_string(),
        "user strings on nopass resetchannels -@all +@string".to_string(),
        "user sub on ~* &* -@all +config|get".to_string(),
    ];
    w.is(&["ACL", "LIST"], array(&lines.iter().map(bulk).collect::<Vec<_>>()));
    w.is(&["ACL", "USERS"], bulks(&["default", "most", "plain", "reader", "sel", "strings", "sub"]));
    // Rules apply in order: a password added and removed, keys reset.
    w.is(&["ACL", "SETUSER", "plain", ">a", ">b", "<a", "~x", "resetkeys", "~y", "on", "off", "on"], OK);
    let b_hash = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
    w.is(&["ACL", "LIST"], {
        let mut l = lines.to_vec();
        l[2] = format!("user plain on #{b_hash} ~y resetchannels -@all");
        array(&l.iter().map(bulk).collect::<Vec<_>>())
    });
    // GETUSER: flags, passwords, the root selector, then the others.
    let reader = array(&[
        bulk("flags"),
        bulks(&["on"]),
        bulk("passwords"),
        bulks(&[P_HASH]),
        bulk("commands"),
        bulk("-@all +get"),
        bulk("keys"),
        bulk("~k* %R~r* %W~w*"),
        bulk("channels"),
        bulk("&ch"),
        bulk("selectors"),
        b"*0\r\n".to_vec(),
    ]);
    w.is(&["ACL", "GETUSER", "reader"], reader);
    let sel = array(&[
        bulk("flags"),
        bulks(&["on", "nopass"]),
        bulk("passwords"),
        b"*0\r\n".to_vec(),
        bulk("commands"),
        bulk("-@all"),
        bulk("keys"),
        bulk(""),
        bulk("channels"),
        bulk(""),
        bulk("selectors"),
        array(&[
            array(&[bulk("commands"), bulk("-@all +set"), bulk("keys"), bulk("~x*"), bulk("channels"), bulk("")]),
            array(&[bulk("commands"), bulk("-@all +get"), bulk("keys"), bulk("%R~y*"), bulk("channels"), bulk("")]),
        ]),
    ]);
    w.is(&["ACL", "GETUSER", "sel"], sel);
    w.is(&["ACL", "GETUSER", "nobody"], NIL);
    // RESP3: a map, flags as a set.
    let mut w3 = Wire::open_resp3(&s);
    let got = w3.call(&["ACL", "GETUSER", "default"]);
    w3.check(got.starts_with(b"%6\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$6\r\nnopass\r\n"), "RESP3 GETUSER is a map");
    // clearselectors and reset.
    w.is(&["ACL", "SETUSER", "sel", "clearselectors"], OK);
    let cleared = w.value(&["ACL", "GETUSER", "sel"]);
    w.check(cleared.items().last() == Some(&Reply::Array(vec![])), "no selectors after clearselectors");
    w.is(&["ACL", "SETUSER", "sel", "reset"], OK);
    let after_reset = array(&[
        bulk("flags"),
        bulks(&["off", "sanitize-payload"]),
        bulk("passwords"),
        b"*0\r\n".to_vec(),
        bulk("commands"),
        bulk("-@all"),
        bulk("keys"),
        bulk(""),
        bulk("channels"),
        bulk(""),
        bulk("selectors"),
        b"*0\r\n".to_vec(),
    ]);
    w.is(&["ACL", "GETUSER", "sel"], after_reset);
}

/// Rules as `ACL LIST` prints them back: Redis's best fit of categories,
/// then single commands.
#[test]
fn list_prints_rules_in_canonical_form() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let cases = [
        ("-@all +@read -get", "-@all +@read -get"),
        ("-@all +@hash +@set -hdel", "-@all +@set +@hash -hdel"),
        ("-@all +@fast", "-@all +@fast"),
        ("+@all -@slow", "+@all -@slow"),
        ("-@all +@keyspace +@read", "-@all +@read +@keyspace"),
        ("-@all +@pubsub", "-@all +@pubsub"),
        // Two single commands come in hash order in Redis: one at a time.
        ("-@all +client|info", "-@all +client|info"),
        ("+@all -client", "+@all -client"),
        ("-@all +@admin", "-@all +@admin"),
        ("-@all +@connection", "-@all +@connection"),
        ("-@all +@transaction +@scripting", "-@all +@scripting +@transaction"),
        ("+@all -@write -@read", "+@all -@write -@read"),
        ("+get -@all +set +set", "-@all +set"),
        ("allcommands -get nocommands", "-@all"),
        ("-@all +select|0 +select|1", "-@all +select|0 +select|1"),
        ("-@all +select|0 +select", "-@all +select"),
    ];
    let key_cases = [
        ("%RW~k* -@all", "~k* resetchannels -@all"),
        ("%R~a %W~a %W~b -@all", "~a %W~b resetchannels -@all"),
        ("~a ~a &c &c allchannels -@all", "~a &* -@all"),
        ("~a resetkeys allkeys -@all", "~* resetchannels -@all"),
    ];
    for (rules, want) in key_cases {
        let mut args = vec!["ACL", "SETUSER", "k", "reset"];
        args.extend(rules.split(' '));
        w.is(&args, OK);
        let reply = w.value(&["ACL", "LIST"]);
        let line = String::from_utf8_lossy(reply.items()[1].bytes()).into_owned();
        w.check(line == format!("user k off sanitize-payload {want}"), format!("{rules}: {line}"));
        w.is(&["ACL", "DELUSER", "k"], int(1));
    }
    for (rules, want) in cases {
        let mut args = vec!["ACL", "SETUSER", "t", "reset"];
        args.extend(rules.split(' '));
        w.is(&args, OK);
        let line = format!("user t off sanitize-payload resetchannels {want}");
        w.is(&["ACL", "LIST"], array(&[bulk("user default on nopass ~* &* +@all"), bulk(line)]));
    }
}

#[test]
fn setuser_errors() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["ACL", "SETUSER", "u", "+nosuch"], setuser_error("+nosuch", "Unknown command or category name in ACL"));
    w.is(&["ACL", "SETUSER", "u", "-@nosuch"], setuser_error("-@nosuch", "Unknown command or category name in ACL"));
    w.is(&["ACL", "SETUSER", "u", "bogus"], setuser_error("bogus", "Syntax error"));
    w.is(&["ACL", "SETUSER", "u", "%X~a"], setuser_error("%X~a", "Syntax error"));
    w.is(&["ACL", "SETUSER", "u", "%RR~a"], setuser_error("%RR~a", "Syntax error"));
    w.is(
        &["ACL", "SETUSER", "u", "allkeys", "~a"],
        setuser_error(
            "~a",
            "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. \
             Try 'resetkeys' to start with an empty list of patterns",
        ),
    );
    w.is(
        &["ACL", "SETUSER", "u", "allchannels", "&a"],
        setuser_error(
            "&a",
            "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any \
             effect. Try 'resetchannels' to start with an empty list of channels",
        ),
    );
    w.is(
        &["ACL", "SETUSER", "u", "<nope"],
        setuser_error("<nope", "The password you are trying to remove from the user does not exist"),
    );
    w.is(
        &["ACL", "SETUSER", "u", "#abc"],
        setuser_error(
            "#abc",
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        ),
    );
    w.is(
        &["ACL", "SETUSER", "u", "+config|get|x"],
        setuser_error("+config|get|x", "Allowing first-arg of a subcommand is not supported"),
    );
    w.is(&["ACL", "SETUSER", "u", "+get|"], setuser_error("+get|", "Syntax error"));
    w.is(&["ACL", "SETUSER", "u", "(~a", "+get"], "-ERR Unmatched parenthesis in acl selector starting at '(~a'.\r\n");
    w.is(&["ACL", "SETUSER", "u", "(bogus)"], setuser_error("(bogus)", "Syntax error"));
    w.is(&["ACL", "SETUSER", "a b"], "-ERR Usernames can't contain spaces or null characters\r\n");
    // A refused rule changes nothing: the user was never created.
    w.is(&["ACL", "USERS"], bulks(&["default"]));
    w.is(
        &["ACL", "SETUSER", "u", "on", "+nosuch"],
        setuser_error("+nosuch", "Unknown command or category name in ACL"),
    );
    w.is(&["ACL", "GETUSER", "u"], NIL);
    // Arity and unknown subcommands.
    w.is(&["ACL", "SETUSER"], "-ERR wrong number of arguments for 'acl|setuser' command\r\n");
    w.is(&["ACL", "GETUSER", "a", "b"], "-ERR wrong number of arguments for 'acl|getuser' command\r\n");
    w.is(&["ACL", "NOSUCH"], "-ERR unknown subcommand 'NOSUCH'. Try ACL HELP.\r\n");
    w.is(&["ACL"], "-ERR wrong number of arguments for 'acl' command\r\n");
}

#[test]
fn deluser_whoami_genpass_cat_help() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["ACL", "WHOAMI"], bulk("default"));
    w.is(&["ACL", "SETUSER", "a"], OK);
    w.is(&["ACL", "SETUSER", "b"], OK);
    w.is(&["ACL", "DELUSER", "a", "default"], "-ERR The 'default' user cannot be removed\r\n");
    w.is(&["ACL", "DELUSER", "a", "b", "c", "a"], int(2));
    w.is(&["ACL", "USERS"], bulks(&["default"]));
    for (bits, len) in [("1", 1), ("4", 1), ("5", 2), ("256", 64), ("4096", 1024)] {
        let got = parse(&w.call(&["ACL", "GENPASS", bits]));
        let ok = matches!(&got, Reply::Bulk(b) if b.len() == len && b.iter().all(u8::is_ascii_hexdigit));
        w.check(ok, format!("GENPASS {bits}: {got:?}"));
    }
    let first = w.call(&["ACL", "GENPASS"]);
    let second = w.call(&["ACL", "GENPASS"]);
    w.check(first.len() == 64 + 7 && first != second, "two 256-bit passwords differ");
    let too_big = "-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number \
                   up to 4096\r\n";
    w.is(&["ACL", "GENPASS", "0"], too_big);
    w.is(&["ACL", "GENPASS", "4097"], too_big);
    w.is(&["ACL", "GENPASS", "x"], "-ERR value is not an integer or out of range\r\n");
    let categories = [
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "stream",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
    ];
    w.is(&["ACL", "CAT"], bulks(&categories));
    w.is(&["ACL", "CAT", "nosuch"], "-ERR Unknown category 'nosuch'\r\n");
    let help = parse(&w.call(&["ACL", "HELP"]));
    w.check(help.items().len() == 29, format!("ACL HELP has 29 lines: {help:?}"));
}

/// `ACL CAT <category>` lists every command Efis has that Redis lists in
/// that category, and nothing Redis does not.
#[test]
fn cat_matches_redis() {
    let Some(reference) = Server::start_reference() else { return };
    let s = Server::start();
    let (mut ours, mut theirs) = (Wire::open(&s), Wire::open(&reference));
    let names = |w: &mut Wire, args: &[&str]| -> std::collections::BTreeSet<Vec<u8>> {
        w.value(args).into_bulks().expect("bulk strings").into_iter().collect()
    };
    let ours_all = names(&mut ours, &["COMMAND", "LIST"]);
    for category in ["keyspace", "read", "write", "string", "list", "hash", "set", "sortedset", "pubsub", "admin"]
        .into_iter()
        .chain(["fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting"])
    {
        let (got, want) = (names(&mut ours, &["ACL", "CAT", category]), names(&mut theirs, &["ACL", "CAT", category]));
        let want: std::collections::BTreeSet<Vec<u8>> = want.into_iter().filter(|n| ours_all.contains(n)).collect();
        let extra = ["delete", "increment", "decrement", "client|setinfo", "client|no-touch"];
        let got: std::collections::BTreeSet<Vec<u8>> =
            got.into_iter().filter(|n| !extra.contains(&String::from_utf8_lossy(n).as_ref())).collect();
        ours.check(got == want, format!("ACL CAT {category}: {} against {}", got.len(), want.len()));
    }
}

#[test]
fn auth_noperm_and_log() {
    let s = Server::start();
    let mut admin = Wire::open(&s);
    admin.is(&["ACL", "SETUSER", "app", "on", ">secret", "~app:*", "%R~shared:*", "&news", "-@all"], OK);
    admin.is(&["ACL", "SETUSER", "app", "+get", "+set", "+publish", "+acl|whoami", "+client|list", "+multi"], OK);
    admin.is(&["ACL", "SETUSER", "app", "+exec"], OK);
    admin.is(&["ACL", "LOG", "RESET"], OK);
    let mut app = Wire::open(&s);
    app.is(&["AUTH", "app", "wrong"], WRONGPASS);
    app.is(&["AUTH", "nobody", "secret"], WRONGPASS);
    app.is(&["AUTH", "app", "secret"], OK);
    app.is(&["ACL", "WHOAMI"], bulk("app"));
    app.is(&["SET", "app:1", "v"], OK);
    app.is(&["GET", "app:1"], bulk("v"));
    app.is(&["GET", "shared:1"], NIL);
    let key_denied = "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
    app.is(&["SET", "shared:1", "v"], key_denied);
    app.is(&["GET", "other"], key_denied);
    app.is(&["GET", "other"], key_denied);
    app.is(&["DEL", "app:1"], "-NOPERM this user has no permissions to run the 'del' command\r\n");
    app.is(&["ACL", "USERS"], "-NOPERM this user has no permissions to run the 'acl|users' command\r\n");
    app.is(&["PUBLISH", "news", "hi"], int(0));
    app.is(
        &["PUBLISH", "sport", "hi"],
        "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n",
    );
    let list = String::from_utf8(app.call(&["CLIENT", "LIST"])).unwrap();
    app.check(list.contains(" user=app ") && list.contains(" user=default "), format!("CLIENT LIST: {list}"));
    // A denial inside MULTI is logged with the multi context, and aborts.
    app.is(&["MULTI"], OK);
    app.is(&["DEL", "x"], "-NOPERM this user has no permissions to run the 'del' command\r\n");
    app.is(&["EXEC"], "-EXECABORT Transaction discarded because of previous errors.\r\n");
    // The log, newest first: the fields of each entry.
    let log = admin.value(&["ACL", "LOG"]);
    let entries: Vec<Vec<(String, String)>> = log
        .items()
        .iter()
        .map(|e| {
            e.items()
                .chunks(2)
                .map(|kv| {
                    let value = match &kv[1] {
                        Reply::Int(n) => n.to_string(),
                        other => String::from_utf8_lossy(other.bytes()).into_owned(),
                    };
                    (String::from_utf8_lossy(kv[0].bytes()).into_owned(), value)
                })
                .collect()
        })
        .collect();
    let summary: Vec<String> = entries
        .iter()
        .map(|e| {
            let get = |k: &str| e.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            format!("{} {} {} {} {}", get("count"), get("reason"), get("context"), get("object"), get("username"))
        })
        .collect();
    let want = [
        "1 command multi del app",
        "1 channel toplevel sport app",
        "1 command toplevel acl|users app",
        "1 command toplevel del app",
        "2 key toplevel other app",
        "1 key toplevel shared:1 app",
        "1 auth toplevel AUTH nobody",
        "1 auth toplevel AUTH app",
    ];
    admin.check(summary == want, format!("ACL LOG: {summary:?}"));
    let fields: Vec<&str> = entries[0].iter().map(|(k, _)| k.as_str()).collect();
    admin.check(
        fields == ["count", "reason", "context", "object", "username", "age-seconds", "client-info"],
        format!("fields {fields:?}"),
    );
    let info = &entries[0].iter().find(|(k, _)| k == "client-info").unwrap().1;
    admin.check(info.starts_with("id=") && info.contains(" user=app "), format!("client-info {info}"));
    let one = admin.value(&["ACL", "LOG", "1"]);
    admin.check(one.items().len() == 1, "ACL LOG 1 has one entry");
    admin.is(&["ACL", "LOG", "x"], "-ERR value is not an integer or out of range\r\n");
    admin.is(&["ACL", "LOG", "RESET"], OK);
    admin.is(&["ACL", "LOG"], "*0\r\n");
    // HELLO AUTH, and AUTH's errors.
    let mut other = Wire::open(&s);
    other.is(&["hello", "2", "AUTH", "app", "nope"], WRONGPASS);
    let last = admin.value(&["ACL", "LOG", "1"]);
    let object = last.items()[0].items()[7].bytes().to_vec();
    admin.check(object == b"hello", format!("a failed HELLO AUTH is logged as the command written: {last:?}"));
    let hello = other.call(&["HELLO", "2", "AUTH", "app", "secret"]);
    other.check(hello.starts_with(b"*14\r\n"), "HELLO AUTH with a good password");
    other.is(&["ACL", "WHOAMI"], bulk("app"));
    other.is(&["AUTH", "a", "b", "c"], "-ERR syntax error\r\n");
    other.is(
        &["AUTH", "x"],
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your \
         configuration is correct?\r\n",
    );
    // RESET goes back to the default user.
    other.is(&["RESET"], "+RESET\r\n");
    other.is(&["ACL", "WHOAMI"], bulk("default"));
    // An `off` user cannot log in.
    admin.is(&["ACL", "SETUSER", "app", "off"], OK);
    other.is(&["AUTH", "app", "secret"], WRONGPASS);
}

#[test]
fn requirepass_is_the_default_users_password() {
    let s = Server::start_with(&[("REQUIREPASS", "pw")]);
    let mut w = Wire::open(&s);
    w.is(&["ACL", "WHOAMI"], "-NOAUTH Authentication required.\r\n");
    w.is(&["AUTH", "default", "pw"], OK);
    let hash = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
    w.is(&["ACL", "LIST"], array(&[bulk(format!("user default on #{hash} ~* &* +@all"))]));
    w.is(&["CONFIG", "SET", "requirepass", ""], OK);
    w.is(&["ACL", "LIST"], array(&[bulk("user default on nopass ~* &* +@all")]));
    w.is(&["CONFIG", "SET", "requirepass", "pw"], OK);
    let mut fresh = Wire::open(&s);
    fresh.is(&["GET", "a"], "-NOAUTH Authentication required.\r\n");
    fresh.is(&["AUTH", "pw"], OK);
    fresh.is(&["GET", "a"], NIL);
}

/// Key permissions reach the keys only a command's own key finder or a
/// keyword key spec tells: SORT's STORE destination, GEORADIUS's STORE
/// and STOREDIST; shard channels are channels, not keys.
#[test]
fn dryrun_finds_store_destinations_and_shard_channels() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["ACL", "SETUSER", "u", "on", "~k*", "%R~r*", "&ch", "+@all"], OK);
    let no_key = |key: &str| bulk(format!("This user has no permissions to access the '{key}' key"));
    w.is(&["ACL", "DRYRUN", "u", "sort", "k1", "STORE", "k2"], OK);
    w.is(&["ACL", "DRYRUN", "u", "sort", "k1", "LIMIT", "0", "1", "STORE", "d"], no_key("d"));
    w.is(&["ACL", "DRYRUN", "u", "sort", "r1", "STORE", "k2"], OK);
    w.is(&["ACL", "DRYRUN", "u", "sort", "k1", "STORE", "r2"], no_key("r2"));
    w.is(&["ACL", "DRYRUN", "u", "sort", "k1", "GET", "store", "r2"], OK);
    w.is(&["ACL", "DRYRUN", "u", "sort_ro", "k1", "STORE", "d"], OK);
    w.is(&["ACL", "DRYRUN", "u", "georadius", "k1", "1", "2", "3", "m", "STORE", "k2"], OK);
    w.is(&["ACL", "DRYRUN", "u", "georadius", "k1", "1", "2", "3", "m", "STOREDIST", "r2"], no_key("r2"));
    w.is(&["ACL", "DRYRUN", "u", "georadiusbymember", "r1", "m", "3", "km", "STORE", "d"], no_key("d"));
    w.is(&["ACL", "DRYRUN", "u", "georadius_ro", "r1", "1", "2", "3", "m"], OK);
    w.is(&["ACL", "DRYRUN", "u", "geosearchstore", "k1", "r1", "FROMMEMBER", "m", "BYRADIUS", "1", "m"], OK);
    w.is(&["ACL", "DRYRUN", "u", "geosearchstore", "r1", "k1", "FROMMEMBER", "m", "BYRADIUS", "1", "m"], no_key("r1"));
    w.is(&["ACL", "DRYRUN", "u", "lcs", "k1", "x"], no_key("x"));
    w.is(&["ACL", "DRYRUN", "u", "bzmpop", "0", "2", "k1", "r1", "MIN"], no_key("r1"));
    w.is(&["ACL", "DRYRUN", "u", "spublish", "ch", "k1"], OK);
    w.is(
        &["ACL", "DRYRUN", "u", "spublish", "k1", "m"],
        bulk("This user has no permissions to access the 'k1' channel"),
    );
    w.is(
        &["ACL", "DRYRUN", "u", "ssubscribe", "ch", "k1"],
        bulk("This user has no permissions to access the 'k1' channel"),
    );
    w.is(&["ACL", "DRYRUN", "u", "ssubscribe", "ch"], OK);
    w.is(&["ACL", "DRYRUN", "u", "sunsubscribe", "k1"], OK);
}

#[test]
fn dryrun_texts() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["ACL", "SETUSER", "u", "on", "~k*", "&ch", "-@all", "+get", "+publish", "+config|get", "(~x* +set)"], OK);
    w.is(&["ACL", "DRYRUN", "u", "get", "k1"], OK);
    w.is(&["ACL", "DRYRUN", "u", "get", "z"], bulk("This user has no permissions to access the 'z' key"));
    w.is(&["ACL", "DRYRUN", "u", "set", "x1", "v"], OK);
    w.is(&["ACL", "DRYRUN", "u", "set", "k1", "v"], bulk("This user has no permissions to access the 'k1' key"));
    w.is(&["ACL", "DRYRUN", "u", "del", "k1"], bulk("This user has no permissions to run the 'del' command"));
    w.is(&["ACL", "DRYRUN", "u", "config", "get", "x"], OK);
    w.is(
        &["ACL", "DRYRUN", "u", "config", "set", "x", "y"],
        bulk("This user has no permissions to run the 'config|set' command"),
    );
    w.is(&["ACL", "DRYRUN", "u", "publish", "ch", "m"], OK);
    w.is(
        &["ACL", "DRYRUN", "u", "publish", "other", "m"],
        bulk("This user has no permissions to access the 'other' channel"),
    );
    w.is(&["ACL", "DRYRUN", "nobody", "get", "k"], "-ERR User 'nobody' not found\r\n");
    w.is(&["ACL", "DRYRUN", "u", "nosuch", "k"], "-ERR Command 'nosuch' not found\r\n");
    w.is(&["ACL", "DRYRUN", "u", "get"], "-ERR wrong number of arguments for 'get' command\r\n");
    w.is(&["ACL", "DRYRUN", "u"], "-ERR wrong number of arguments for 'acl|dryrun' command\r\n");
}

#[test]
fn deluser_disconnects_its_clients() {
    let s = Server::start();
    let mut admin = Wire::open(&s);
    admin.is(&["ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*"], OK);
    let mut victim = s.raw();
    assert_eq!(roundtrip(&mut victim, &resp(&["AUTH", "gone", "x"])), b"+OK\r\n");
    admin.is(&["CLIENT", "KILL", "USER", "nobody"], "-ERR No such user 'nobody'\r\n");
    let mut other = s.raw();
    assert_eq!(roundtrip(&mut other, &resp(&["AUTH", "gone", "x"])), b"+OK\r\n");
    admin.is(&["CLIENT", "KILL", "USER", "gone", "ID", "999999"], int(0));
    admin.is(&["CLIENT", "KILL", "USER", "gone", "ADDR", &local_addr_of(&other)], int(1));
    assert!(read_until_closed(&mut other).is_empty(), "CLIENT KILL USER closes it");
    admin.is(&["ACL", "DELUSER", "gone"], int(1));
    send(&mut victim, &resp(&["PING"]));
    let after = read_until_closed(&mut victim);
    admin.check(after.is_empty(), format!("a deleted user's client is closed, got {after:?}"));
    admin.is(&["PING"], "+PONG\r\n");
}

#[test]
fn load_and_save_without_a_file() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let err = "-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via \
               the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration \
               file set) in order to store users in the Redis configuration.\r\n";
    w.is(&["ACL", "SAVE"], err);
    w.is(&["ACL", "LOAD"], err);
}

#[test]
fn users_survive_a_restart_in_the_acl_file() {
    let dir = fresh_temp_dir("aclfile");
    let path = dir.join("users.acl");
    std::fs::write(&path, format!("user keeper on #{P_HASH} ~k* resetchannels -@all +get\n")).unwrap();
    let path_text = path.to_str().unwrap().to_string();
    let mut s = Server::start_with(&[("ACLFILE", &path_text)]);
    let mut w = Wire::open(&s);
    w.is(&["CONFIG", "GET", "aclfile"], bulks(&["aclfile", &path_text]));
    w.is(&["ACL", "USERS"], bulks(&["default", "keeper"]));
    w.is(&["AUTH", "keeper", "p"], OK);
    w.is(&["ACL", "WHOAMI"], "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n");
    let mut admin = Wire::open(&s);
    admin.is(&["ACL", "SETUSER", "added", "on", "nopass", "+@read", "~*"], OK);
    admin.is(&["ACL", "SAVE"], OK);
    let saved = std::fs::read_to_string(&path).unwrap();
    admin.check(saved.lines().any(|l| l.starts_with("user added on nopass ~* ")), format!("saved file: {saved}"));
    drop((w, admin));
    s.restart();
    let mut w = Wire::open(&s);
    w.is(&["ACL", "USERS"], bulks(&["added", "default", "keeper"]));
    w.is(&["AUTH", "keeper", "p"], OK);
    w.is(&["GET", "k1"], NIL);
    w.is(&["SET", "k1", "v"], "-NOPERM this user has no permissions to run the 'set' command\r\n");
    // LOAD reads the file again: a user added since is gone, and a bad
    // file changes nothing.
    let mut admin = Wire::open(&s);
    admin.is(&["ACL", "SETUSER", "temp"], OK);
    admin.is(&["ACL", "LOAD"], OK);
    admin.is(&["ACL", "USERS"], bulks(&["added", "default", "keeper"]));
    // ACL LOAD closes every client of a user other than default, kept
    // or not, as Redis does.
    let mut keeper = s.raw();
    assert_eq!(roundtrip(&mut keeper, &resp(&["AUTH", "keeper", "p"])), b"+OK\r\n");
    admin.is(&["ACL", "LOAD"], OK);
    send(&mut keeper, &resp(&["PING"]));
    assert!(read_until_closed(&mut keeper).is_empty(), "keeper's client is closed by ACL LOAD");
    admin.is(&["PING"], "+PONG\r\n");
    std::fs::write(&path, "user broken +nosuch\nuser broken on\nmore words\nuser odd %X~a\n").unwrap();
    let warning = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
    admin.is(
        &["ACL", "LOAD"],
        format!(
            "-ERR {path_text}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. \
             WARNING: Duplicate user 'broken' found on line 2. {path_text}:3 should start with user keyword \
             followed by the username. {path_text}:4: Syntax error. {warning}\r\n"
        ),
    );
    admin.is(&["ACL", "USERS"], bulks(&["added", "default", "keeper"]));
}

#[test]
fn redis_cli_user_and_pass() {
    let Some(redis_cli) = needs::tool(Need::RedisCli) else { return };
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["ACL", "SETUSER", "cli", "on", ">clipass", "~*", "+@all", "-flushall"], OK);
    let port = s.port.to_string();
    let run = |args: &[&str]| {
        let out = Command::new(&redis_cli)
            .args(["-p", &port, "--user", "cli", "--pass", "clipass", "--no-auth-warning"])
            .args(args)
            .output()
            .expect("run redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(run(&["ACL", "WHOAMI"]), "cli\n");
    assert_eq!(run(&["SET", "a", "1"]), "OK\n");
    assert_eq!(run(&["FLUSHALL"]).trim_end(), "NOPERM this user has no permissions to run the 'flushall' command");
    let bad = Command::new(&redis_cli)
        .args(["-p", &port, "--user", "cli", "--pass", "wrong", "--no-auth-warning", "PING"])
        .output()
        .expect("run redis-cli");
    let text = String::from_utf8_lossy(&bad.stdout).into_owned() + &String::from_utf8_lossy(&bad.stderr);
    assert!(text.contains("WRONGPASS"), "{text}");
}

/// Secrets never reach `MONITOR` or the slow log: `AUTH`'s arguments,
/// `HELLO ... AUTH`'s user and password, `ACL SETUSER`'s rules and
/// `CONFIG SET requirepass`'s value are shown as `(redacted)`.
#[test]
fn secrets_are_redacted_in_monitor_and_slowlog() {
    let s = Server::start();
    let mut admin = Wire::open(&s);
    admin.is(&["CONFIG", "SET", "slowlog-log-slower-than", "0"], OK);
    admin.is(&["SLOWLOG", "RESET"], OK);
    admin.is(&["ACL", "SETUSER", "mon", "on", ">monpass", "+@all", "~*"], OK);
    let mut monitor = s.raw();
    assert_eq!(roundtrip(&mut monitor, &resp(&["MONITOR"])), b"+OK\r\n");
    let mut c = Wire::open(&s);
    c.is(&["AUTH", "mon", "monpass"], OK);
    c.is(&["AUTH", "mon", "wrong-secret"], WRONGPASS);
    let hello = c.call(&["HELLO", "2", "AUTH", "mon", "monpass", "SETNAME", "n1"]);
    c.check(hello.starts_with(b"*14\r\n"), "HELLO AUTH");
    c.is(&["ACL", "SETUSER", "other", ">topsecret"], OK);
    c.is(&["CONFIG", "SET", "requirepass", "pw-secret"], OK);
    c.is(&["AUTH", "pw-secret"], OK);
    c.is(&["CONFIG", "SET", "requirepass", ""], OK);
    c.is(&["ECHO", "end"], bulk("end"));
    let mut shown = Vec::new();
    loop {
        let Reply::Simple(line) = parse(&crate::common::read_reply(&mut monitor)) else { panic!("not a line") };
        let rest = line.split_once("] ").expect("a monitor line").1.to_string();
        if rest == "\"ECHO\" \"end\"" {
            break;
        }
        shown.push(rest);
    }
    let want = [
        "\"AUTH\" \"(redacted)\" \"(redacted)\"",
        "\"AUTH\" \"(redacted)\" \"(redacted)\"",
        "\"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n1\"",
        "\"AUTH\" \"(redacted)\"",
    ];
    assert_eq!(shown, want);
    let slow = c.call(&["SLOWLOG", "GET", "20"]);
    let text = String::from_utf8_lossy(&slow);
    for secret in ["monpass", "wrong-secret", "topsecret", "pw-secret"] {
        assert!(!text.contains(secret), "the slow log shows {secret}: {text}");
    }
    let entries = parse(&slow);
    let args: Vec<Vec<String>> = entries
        .items()
        .iter()
        .map(|e| e.items()[3].items().iter().map(|a| String::from_utf8_lossy(a.bytes()).into_owned()).collect())
        .collect();
    for want in [
        vec!["ACL", "SETUSER", "(redacted)", "(redacted)"],
        vec!["CONFIG", "SET", "requirepass", "(redacted)"],
        vec!["AUTH", "(redacted)", "(redacted)"],
        vec!["HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n1"],
    ] {
        assert!(args.iter().any(|a| *a == want), "slow log lacks {want:?}: {args:?}");
    }
}

/// The address a server sees for this client (its `addr=`).
fn local_addr_of(stream: &std::net::TcpStream) -> String {
    stream.local_addr().expect("local address").to_string()
}

/// This machine's first address that is not loopback, if it has one.
fn outside_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").or_else(|_| socket.connect("10.255.255.1:9")).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Protected mode: bound beyond loopback with no password for the
/// `default` user, a client from outside gets Redis's `-DENIED` text and
/// is closed; loopback clients are served; a password or `protected-mode
/// no` opens the door.
#[test]
fn protected_mode_refuses_outside_clients_without_a_password() {
    let Some(outside) = outside_address() else {
        eprintln!("protected mode test: this machine has no address beyond loopback");
        return;
    };
    let s = Server::start_full(&[], &["--bind", "0.0.0.0"]);
    let from_outside = || {
        let stream = std::net::TcpStream::connect((outside, s.port)).expect("connect from outside");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        stream
    };
    let mut refused = from_outside();
    send(&mut refused, &resp(&["PING"]));
    let got = String::from_utf8(read_until_closed(&mut refused)).unwrap();
    assert!(got.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled"), "{got}");
    assert!(got.ends_with("in order for the server to start accepting connections from the outside.\r\n"), "{got}");
    assert_eq!(got.len(), 1067, "Redis's whole text: {got}");
    let mut local = Wire::open(&s);
    local.is(&["CONFIG", "GET", "protected-mode"], bulks(&["protected-mode", "yes"]));
    // A password for the default user: outside clients may connect (and
    // must authenticate).
    local.is(&["CONFIG", "SET", "requirepass", "pw"], OK);
    let mut outside_client = from_outside();
    assert_eq!(roundtrip(&mut outside_client, &resp(&["PING"])), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(roundtrip(&mut outside_client, &resp(&["AUTH", "pw"])), b"+OK\r\n");
    local.is(&["AUTH", "pw"], OK);
    local.is(&["CONFIG", "SET", "requirepass", ""], OK);
    // Other ACL users do not lift it: the default user's password does.
    local.is(&["ACL", "SETUSER", "someone", "on", ">x", "+@all"], OK);
    let mut refused = from_outside();
    send(&mut refused, &resp(&["PING"]));
    assert!(read_until_closed(&mut refused).starts_with(b"-DENIED"));
    local.is(&["CONFIG", "SET", "protected-mode", "NO"], OK);
    local.is(&["CONFIG", "GET", "protected-mode"], bulks(&["protected-mode", "no"]));
    local.is(&["CONFIG", "SET", "protected-mode", "maybe"], {
        "-ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'\r\n"
    });
    let mut open = from_outside();
    assert_eq!(roundtrip(&mut open, &resp(&["PING"])), b"+PONG\r\n");
}

#[test]
fn protected_mode_off_at_start() {
    let Some(outside) = outside_address() else { return };
    let s = Server::start_full(&[], &["--bind", "0.0.0.0", "--protected-mode", "no"]);
    let mut open = std::net::TcpStream::connect((outside, s.port)).expect("connect from outside");
    assert_eq!(roundtrip(&mut open, &resp(&["PING"])), b"+PONG\r\n");
}

/// A script's commands run as the user that called it, and a denial is
/// the script's error (logged with the `lua` context).
#[test]
fn scripts_run_as_their_caller() {
    let s = Server::start();
    let mut admin = Wire::open(&s);
    admin.is(&["ACL", "SETUSER", "scripter", "on", "nopass", "+eval", "+get", "+set", "~a*"], OK);
    let mut c = Wire::open(&s);
    c.is(&["AUTH", "scripter", "x"], OK);
    c.is(&["EVAL", "return redis.call('get', 'a1')", "0"], NIL);
    c.is(
        &["EVAL", "return redis.call('del', 'a1')", "0"],
        "-ERR The user executing the script can't run this command or subcommand script: \
         ea05fc35f15aa74ada623811e0698da5f8c78442, on @user_script:1.\r\n",
    );
    c.is(
        &["EVAL", "return redis.pcall('set', 'b1', 'v')", "0"],
        "-ERR The user executing the script can't access at least one of the keys mentioned in the command \
         arguments\r\n",
    );
    c.is(&["EVAL", "return redis.call('set', 'a1', 'v')", "0"], OK);
    let log = admin.value(&["ACL", "LOG", "1"]);
    let entry = log.items()[0].items();
    let field = |name: &str| {
        let at = entry.iter().position(|f| f.bytes() == name.as_bytes()).expect("field");
        String::from_utf8_lossy(entry[at + 1].bytes()).into_owned()
    };
    admin.check(field("context") == "lua" && field("object") == "b1", format!("{entry:?}"));
    admin.check(field("username") == "scripter", format!("{entry:?}"));
}

/// redis-py 8 with ACL users: `tests/py/acl_check.py`.
#[test]
fn redis_py_8_with_acl_users() {
    let Some(python) = needs::tool(Need::RedisPy) else { return };
    let server = Server::start();
    let out = run_python_check(&python, "acl_check.py", &[&server.port.to_string()], "acl_check.py");
    assert!(
        out.status.success(),
        "acl_check.py failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Taking a channel away from a user closes its clients subscribed to it
/// (patterns compared literally); its other subscribers stay.
#[test]
fn revoking_a_channel_closes_its_subscribers() {
    let s = Server::start();
    let mut admin = Wire::open(&s);
    admin.is(&["ACL", "SETUSER", "sub", "on", "nopass", "+@all", "~*", "resetchannels", "&news*"], OK);
    let subscriber = |args: &[&str]| {
        let mut stream = s.raw();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        assert_eq!(roundtrip(&mut stream, &resp(&["AUTH", "sub", "x"])), b"+OK\r\n");
        roundtrip(&mut stream, &resp(args));
        stream
    };
    let mut by_pattern = subscriber(&["PSUBSCRIBE", "news*"]);
    let mut by_name = subscriber(&["SUBSCRIBE", "news1"]);
    let mut other_name = subscriber(&["SUBSCRIBE", "news2"]);
    admin.is(&["ACL", "SETUSER", "sub", "resetchannels", "&news1", "&news*1"], OK);
    assert!(read_until_closed(&mut by_pattern).is_empty(), "the pattern subscriber is closed");
    assert!(read_until_closed(&mut other_name).is_empty(), "news2's subscriber is closed");
    admin.is(&["PUBLISH", "news1", "m"], int(1));
    let message = crate::common::read_reply(&mut by_name);
    assert_eq!(message, b"*3\r\n$7\r\nmessage\r\n$5\r\nnews1\r\n$1\r\nm\r\n".to_vec());
}

/// `EXEC` checks its queued commands again: a permission taken away
/// since `MULTI` fails that command with Redis's text.
#[test]
fn exec_checks_permissions_again() {
    let s = Server::start();
    let mut admin = Wire::open(&s);
    admin.is(&["ACL", "SETUSER", "tx", "on", "nopass", "+@all", "~*"], OK);
    let mut c = Wire::open(&s);
    c.is(&["AUTH", "tx", "x"], OK);
    c.is(&["MULTI"], OK);
    c.is(&["SET", "a", "1"], "+QUEUED\r\n");
    c.is(&["GET", "a"], "+QUEUED\r\n");
    admin.is(&["ACL", "SETUSER", "tx", "-set"], OK);
    c.is(
        &["EXEC"],
        "*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. \
         This command is no longer allowed for the following reason: no permission to execute the command or \
         subcommand\r\n$-1\r\n",
    );
    admin.is(&["ACL", "SETUSER", "tx", "+set", "resetkeys", "~b*"], OK);
    c.is(&["MULTI"], OK);
    c.is(&["SET", "b", "1"], "+QUEUED\r\n");
    admin.is(&["ACL", "SETUSER", "tx", "resetkeys", "~c*"], OK);
    c.is(
        &["EXEC"],
        "*1\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. \
         This command is no longer allowed for the following reason: no permission to touch the specified \
         keys\r\n",
    );
    let log = admin.value(&["ACL", "LOG", "1"]);
    let fields = log.items()[0].items();
    admin.check(fields[5].bytes() == b"multi" && fields[7].bytes() == b"b", format!("{log:?}"));
    // The log's length is a setting.
    admin.is(&["CONFIG", "GET", "acllog-max-len"], bulks(&["acllog-max-len", "128"]));
    admin.is(&["CONFIG", "SET", "acllog-max-len", "1"], OK);
    // The next entry trims the log to the new length.
    c.is(&["AUTH", "tx", "wrong"], OK);
    admin.is(&["ACL", "SETUSER", "tx", "resetpass"], OK);
    c.is(&["AUTH", "tx", "wrong"], WRONGPASS);
    let one = admin.value(&["ACL", "LOG"]);
    admin.check(one.items().len() == 1, format!("one entry kept: {one:?}"));
    admin.is(
        &["CONFIG", "SET", "acllog-max-len", "-1"],
        "-ERR CONFIG SET failed (possibly related to argument 'acllog-max-len') - argument must be between 0 and \
         9223372036854775807 inclusive\r\n",
    );
}
