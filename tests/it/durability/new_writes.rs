//! The writes of the geo, SORT and BZMPOP commands replay to the same
//! data after a `kill -9` (from the log) and after a snapshot: GEOADD
//! (logged as the ZADD of its scores), GEORADIUS ... STORE/STOREDIST and
//! GEOSEARCHSTORE (logged as what they stored), and a woken BZMPOP
//! (logged as the pops it made).

use super::*;

/// Restarts after a `kill -9`, then after `SAVE` and another `kill -9`,
/// and checks that both times every database holds what it held before.
fn survives_crashes(srv: &mut Server) {
    let mut con = srv.client();
    let before = state(&mut con);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after kill -9 (log replay)");
    let _: () = q(&mut con, &["SAVE"]);
    srv.crash_restart();
    let mut con = srv.client();
    assert_eq!(state(&mut con), before, "after SAVE and kill -9");
}

#[test]
fn geo_writes_replay_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    w(&mut con, &["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]);
    w(&mut con, &["GEOADD", "g", "XX", "CH", "13.5", "38.2", "Palermo", "1", "1", "skipped"]);
    w(&mut con, &["GEOADD", "g", "180", "85.05112878", "corner", "-180", "-85.05112878", "other"]);
    let stored: i64 = q(&mut con, &["GEOSEARCHSTORE", "near", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km"]);
    assert_eq!(stored, 2);
    let stored: i64 = q(
        &mut con,
        &["GEOSEARCHSTORE", "dist", "g", "FROMLONLAT", "15", "37", "BYBOX", "600", "600", "mi", "STOREDIST"],
    );
    assert_eq!(stored, 2);
    let stored: i64 = q(&mut con, &["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "rad", "COUNT", "1"]);
    assert_eq!(stored, 1);
    w(&mut con, &["SET", "emptied", "x"]);
    let stored: i64 = q(&mut con, &["GEORADIUSBYMEMBER", "g", "corner", "1", "m", "STORE", "emptied"]);
    assert_eq!(stored, 1);
    let stored: i64 = q(&mut con, &["GEOSEARCHSTORE", "gone", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"]);
    assert_eq!(stored, 0);
    survives_crashes(&mut srv);
    let mut con = srv.client();
    let dist: Vec<String> = q(&mut con, &["ZRANGE", "dist", "0", "-1", "WITHSCORES"]);
    assert_eq!(dist, ["Catania", "35.071058862737644", "Palermo", "116.72125138462191"]);
    let pos: Vec<Vec<String>> = q(&mut con, &["GEOPOS", "g", "Palermo"]);
    assert_eq!(pos, [["13.50000053644180298", "38.2000006309196749"]]);
}

#[test]
fn a_woken_bzmpop_replays_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    let reply = served(
        &srv,
        &mut con,
        &["BZMPOP", "0", "2", "bz:a", "bz:b", "MAX", "COUNT", "2"],
        &[&["SET", "bz:a", "str"], &["ZADD", "bz:b", "1", "one", "2", "two", "3", "three"]],
    );
    assert_eq!(reply, b"*2\r\n$4\r\nbz:b\r\n*2\r\n*2\r\n$5\r\nthree\r\n$1\r\n3\r\n*2\r\n$3\r\ntwo\r\n$1\r\n2\r\n");
    w(&mut con, &["ZADD", "bz:c", "5", "five"]);
    let _: redis::Value = q(&mut con, &["BZMPOP", "0", "1", "bz:c", "MIN"]);
    survives_crashes(&mut srv);
    let mut con = srv.client();
    assert_eq!(q::<Vec<String>>(&mut con, &["ZRANGE", "bz:b", "0", "-1"]), ["one"]);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "bz:c"]), 0);
    assert_eq!(q::<String>(&mut con, &["GET", "bz:a"]), "str");
}

#[test]
fn sort_store_replays_the_same() {
    if is_redis() {
        return;
    }
    let mut srv = Server::start();
    let mut con = srv.client();
    w(&mut con, &["RPUSH", "src", "3", "1", "2", "10"]);
    w(&mut con, &["MSET", "w_1", "c", "w_2", "b", "w_3", "a"]);
    w(&mut con, &["SADD", "set", "x", "z", "y"]);
    w(&mut con, &["SET", "over", "old", "EX", "100"]);
    assert_eq!(q::<i64>(&mut con, &["SORT", "src", "DESC", "STORE", "over"]), 4);
    assert_eq!(q::<i64>(&mut con, &["SORT", "src", "BY", "w_*", "ALPHA", "GET", "#", "GET", "w_*", "STORE", "by"]), 8);
    assert_eq!(q::<i64>(&mut con, &["SORT", "set", "BY", "nosort", "STORE", "fromset"]), 3);
    w(&mut con, &["SET", "emptied", "x"]);
    assert_eq!(q::<i64>(&mut con, &["SORT", "missing", "STORE", "emptied"]), 0);
    survives_crashes(&mut srv);
    let mut con = srv.client();
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "over", "0", "-1"]), ["10", "3", "2", "1"]);
    assert_eq!(q::<i64>(&mut con, &["TTL", "over"]), -1);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "by", "0", "-1"]), ["10", "", "3", "a", "2", "b", "1", "c"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["LRANGE", "fromset", "0", "-1"]), ["x", "y", "z"]);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "emptied"]), 0);
}
