//! WRONGTYPE and arity errors across the sorted-set commands, and the
//! keyspace events the writing commands fire.

use super::*;

#[test]
fn wrong_type() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    make_other_types(&mut w);
    for key in ["string", "list", "set"] {
        let commands: [&[&str]; 24] = [
            &["ZADD", key, "1", "a"],
            &["ZINCRBY", key, "1", "a"],
            &["ZREM", key, "a"],
            &["ZCARD", key],
            &["ZSCORE", key, "a"],
            &["ZMSCORE", key, "a"],
            &["ZRANK", key, "a"],
            &["ZREVRANK", key, "a"],
            &["ZCOUNT", key, "0", "1"],
            &["ZLEXCOUNT", key, "-", "+"],
            &["ZRANGE", key, "0", "1"],
            &["ZRANGEBYSCORE", key, "0", "1"],
            &["ZREVRANGEBYSCORE", key, "1", "0"],
            &["ZRANGEBYLEX", key, "-", "+"],
            &["ZREVRANGEBYLEX", key, "+", "-"],
            &["ZREVRANGE", key, "0", "1"],
            &["ZRANGESTORE", "d", key, "0", "1"],
            &["ZPOPMIN", key],
            &["ZPOPMAX", key, "1"],
            &["ZREMRANGEBYSCORE", key, "0", "1"],
            &["ZREMRANGEBYRANK", key, "0", "1"],
            &["ZREMRANGEBYLEX", key, "-", "+"],
            &["ZRANDMEMBER", key],
            &["ZSCAN", key, "0"],
        ];
        for command in commands {
            w.is(command, WRONGTYPE);
        }
    }
    // Sets are valid inputs of the algebra; strings and lists are not.
    w.is(&["ZUNION", "1", "set"], bulks(&["x"]));
    w.is(&["ZUNION", "1", "list"], WRONGTYPE);
    w.is(&["GET", "string"], bulk("x"));
}

#[test]
fn wrong_arity() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let cases: [(&str, &[&str]); 32] = [
        ("zadd", &["ZADD", "z", "1"]),
        ("zincrby", &["ZINCRBY", "z", "1"]),
        ("zrem", &["ZREM", "z"]),
        ("zcard", &["ZCARD"]),
        ("zscore", &["ZSCORE", "z"]),
        ("zmscore", &["ZMSCORE", "z"]),
        ("zrank", &["ZRANK", "z"]),
        ("zrevrank", &["ZREVRANK", "z"]),
        ("zcount", &["ZCOUNT", "z", "1"]),
        ("zlexcount", &["ZLEXCOUNT", "z", "-"]),
        ("zrange", &["ZRANGE", "z", "0"]),
        ("zrangebyscore", &["ZRANGEBYSCORE", "z", "0"]),
        ("zrevrangebyscore", &["ZREVRANGEBYSCORE", "z", "0"]),
        ("zrangebylex", &["ZRANGEBYLEX", "z", "-"]),
        ("zrevrangebylex", &["ZREVRANGEBYLEX", "z", "+"]),
        ("zrevrange", &["ZREVRANGE", "z", "0"]),
        ("zrangestore", &["ZRANGESTORE", "d", "z", "0"]),
        ("zpopmin", &["ZPOPMIN"]),
        ("zpopmax", &["ZPOPMAX"]),
        ("zmpop", &["ZMPOP", "1", "z"]),
        ("zremrangebyscore", &["ZREMRANGEBYSCORE", "z", "0"]),
        ("zremrangebyrank", &["ZREMRANGEBYRANK", "z", "0"]),
        ("zremrangebylex", &["ZREMRANGEBYLEX", "z", "-"]),
        ("zunionstore", &["ZUNIONSTORE", "d", "1"]),
        ("zinterstore", &["ZINTERSTORE", "d", "1"]),
        ("zdiffstore", &["ZDIFFSTORE", "d", "1"]),
        ("zunion", &["ZUNION", "1"]),
        ("zinter", &["ZINTER", "1"]),
        ("zdiff", &["ZDIFF", "1"]),
        ("zintercard", &["ZINTERCARD", "1"]),
        ("zrandmember", &["ZRANDMEMBER"]),
        ("zscan", &["ZSCAN", "z"]),
    ];
    for (name, command) in cases {
        w.is(command, arity(name));
    }
    // Fixed arities reject extra arguments too (ZRANK's WITHSCORE is 7.2).
    w.is(&["ZRANK", "z", "a", "WITHSCORE"], arity("zrank"));
    w.is(&["ZSCORE", "z", "a", "b"], arity("zscore"));
    w.is(&["ZCOUNT", "z", "0", "1", "2"], arity("zcount"));
    w.is(&["ZREMRANGEBYRANK", "z", "0", "1", "2"], arity("zremrangebyrank"));
}

#[test]
fn keyspace_events() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut sub = subscribe_key_events(&server, &mut w);
    let commands: [&[&str]; 24] = [
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "XX", "1", "new"],
        &["ZINCRBY", "z", "1", "a"],
        &["ZADD", "z", "INCR", "1", "a"],
        &["ZREM", "z", "nope"],
        &["ZREM", "z", "a"],
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z", "0"],
        &["ZPOPMAX", "z", "1"],
        &["ZADD", "y", "1", "a", "2", "b"],
        &["ZUNIONSTORE", "u", "2", "y", "z"],
        &["ZINTERSTORE", "u", "2", "y", "z"],
        &["ZDIFFSTORE", "u", "2", "y", "z"],
        &["ZRANGESTORE", "r", "y", "0", "0"],
        &["ZRANGESTORE", "r", "y", "5", "6"],
        &["ZREMRANGEBYRANK", "y", "5", "6"],
        &["ZREMRANGEBYRANK", "y", "0", "0"],
        &["ZREMRANGEBYSCORE", "y", "-inf", "+inf"],
        &["ZADD", "l", "0", "a", "0", "b"],
        &["ZREMRANGEBYLEX", "l", "[a", "[a"],
        &["ZMPOP", "1", "l", "MIN"],
        &["ZINTERSTORE", "u", "1", "missing"],
        &["ZPOPMIN", "z", "10"],
    ];
    for command in commands {
        w.call(command);
    }
    let want = [
        ("zadd", "z"),
        ("zincr", "z"),
        ("zincr", "z"),
        ("zrem", "z"),
        ("zpopmin", "z"),
        ("zpopmax", "z"),
        ("zadd", "y"),
        ("zunionstore", "u"),
        // An empty result deletes the destination.
        ("del", "u"),
        ("zdiffstore", "u"),
        ("zrangestore", "r"),
        ("del", "r"),
        ("zremrangebyrank", "y"),
        ("zremrangebyscore", "y"),
        ("del", "y"),
        ("zadd", "l"),
        ("zremrangebylex", "l"),
        ("zpopmin", "l"),
        ("del", "l"),
        ("del", "u"),
        ("zpopmin", "z"),
        ("del", "z"),
    ];
    let got = events_until_marker(&mut w, &mut sub);
    let want: Vec<(String, String)> = want.iter().map(|(e, k)| (e.to_string(), k.to_string())).collect();
    assert_eq!(got, want);
}
