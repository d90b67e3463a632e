//! The keyspace as a whole: RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SELECT
//! (databases are isolated) and SWAPDB.

use super::*;

#[test]
fn randomkey() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["RANDOMKEY"], NIL);
    w.is(&["SET", "only", "v"], OK);
    w.is(&["RANDOMKEY"], bulk("only"));
    w.is(&["EXISTS", "only"], ":1\r\n");
    w.is(&["MSET", "a", "1", "b", "2", "c", "3"], OK);
    w.is(&["RPUSH", "l", "x"], ":1\r\n");
    let all = ["only", "a", "b", "c", "l"];
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        let got = w.call(&["RANDOMKEY"]);
        let ok = all.iter().any(|k| got == bulk(k));
        w.check(ok, format!("RANDOMKEY -> \"{}\"", show(&got)));
        seen.insert(got);
    }
    w.check(seen.len() > 1, format!("200 RANDOMKEY calls all answered {seen:?}"));
    w.is(&["FLUSHDB"], OK);
    w.is(&["RANDOMKEY"], NIL);
    w.is(&["RANDOMKEY", "x"], arity("randomkey"));
}

#[test]
fn dbsize_flushdb_flushall() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["DBSIZE"], ":0\r\n");
    make_one_of_each(&mut w);
    w.is(&["DBSIZE"], ":5\r\n");
    w.is(&["SET", "str", "again"], OK);
    w.is(&["DBSIZE"], ":5\r\n");
    w.is(&["DEL", "str"], ":1\r\n");
    w.is(&["DBSIZE"], ":4\r\n");
    w.is(&["SELECT", "3"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["MSET", "x", "1", "y", "2"], OK);
    w.is(&["DBSIZE"], ":2\r\n");
    // FLUSHDB empties only the selected database.
    w.is(&["FLUSHDB"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SELECT", "0"], OK);
    w.is(&["DBSIZE"], ":4\r\n");
    w.is(&["FLUSHDB", "SYNC"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SET", "k", "v"], OK);
    w.is(&["FLUSHDB", "async"], OK);
    w.is(&["GET", "k"], NIL);
    // FLUSHALL empties every database.
    w.is(&["SET", "k", "v"], OK);
    w.is(&["SELECT", "5"], OK);
    w.is(&["SET", "k", "v"], OK);
    w.is(&["FLUSHALL"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SELECT", "0"], OK);
    w.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SET", "k", "v"], OK);
    w.is(&["FLUSHALL", "ASYNC"], OK);
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["FLUSHALL", "SYNC"], OK);
    w.is(&["FLUSHDB", "FOO"], SYNTAX);
    w.is(&["FLUSHDB", "SYNC", "ASYNC"], SYNTAX);
    w.is(&["FLUSHALL", "FOO"], SYNTAX);
    w.is(&["DBSIZE", "x"], arity("dbsize"));
}

#[test]
fn select_isolates_databases() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut other = Wire::open(&server);
    w.is(&["SET", "k", "db0"], OK);
    w.is(&["SELECT", "1"], OK);
    w.is(&["GET", "k"], NIL);
    w.is(&["SET", "k", "db1"], OK);
    w.is(&["SELECT", "15"], OK);
    w.is(&["EXISTS", "k"], ":0\r\n");
    w.is(&["KEYS", "*"], "*0\r\n");
    w.is(&["select", "1"], OK);
    w.is(&["GET", "k"], bulk("db1"));
    // The selection belongs to the connection: another one stays in db 0.
    other.is(&["GET", "k"], bulk("db0"));
    other.is(&["DBSIZE"], ":1\r\n");
    // The same key name in two databases holds two types.
    other.is(&["DEL", "k"], ":1\r\n");
    other.is(&["RPUSH", "k", "x"], ":1\r\n");
    w.is(&["TYPE", "k"], "+string\r\n");
    other.is(&["TYPE", "k"], "+list\r\n");

    w.is(&["SELECT", "16"], DB_RANGE);
    w.is(&["SELECT", "-1"], DB_RANGE);
    w.is(&["SELECT", "abc"], NOT_INT);
    w.is(&["SELECT", "1.0"], NOT_INT);
    w.is(&["SELECT"], arity("select"));
    w.is(&["SELECT", "1", "2"], arity("select"));
    // A failed SELECT keeps the current database.
    w.is(&["GET", "k"], bulk("db1"));
    // A new connection starts in db 0.
    let mut third = Wire::open(&server);
    third.is(&["TYPE", "k"], "+list\r\n");
}

#[test]
fn swapdb() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut watcher = Wire::open(&server);
    w.is(&["SET", "k0", "zero"], OK);
    w.is(&["SET", "t", "v", "EX", "100"], OK);
    w.is(&["SELECT", "1"], OK);
    w.is(&["SET", "k1", "one"], OK);
    w.is(&["SWAPDB", "0", "1"], OK);
    // The connection in db 1 now sees what was in db 0.
    w.is(&["GET", "k0"], bulk("zero"));
    w.is(&["GET", "k1"], NIL);
    let ttl = parse_int(&w.call(&["TTL", "t"])).unwrap_or(i64::MIN);
    w.check((98..=100).contains(&ttl), format!("TTL after SWAPDB is {ttl}"));
    // And so does every other connection.
    watcher.is(&["GET", "k1"], bulk("one"));
    watcher.is(&["GET", "k0"], NIL);
    watcher.is(&["DBSIZE"], ":1\r\n");
    w.is(&["SWAPDB", "1", "0"], OK);
    watcher.is(&["GET", "k0"], bulk("zero"));
    w.is(&["SWAPDB", "0", "0"], OK);
    watcher.is(&["DBSIZE"], ":2\r\n");
    // With an empty database.
    w.is(&["SWAPDB", "0", "7"], OK);
    watcher.is(&["DBSIZE"], ":0\r\n");
    w.is(&["SWAPDB", "7", "0"], OK);
    watcher.is(&["DBSIZE"], ":2\r\n");

    w.is(&["SWAPDB", "0", "16"], DB_RANGE);
    w.is(&["SWAPDB", "-1", "0"], DB_RANGE);
    w.is(&["SWAPDB", "a", "1"], "-ERR invalid first DB index\r\n");
    w.is(&["SWAPDB", "0", "b"], "-ERR invalid second DB index\r\n");
    w.is(&["SWAPDB", "0"], arity("swapdb"));
    w.is(&["SWAPDB", "0", "1", "2"], arity("swapdb"));
}
