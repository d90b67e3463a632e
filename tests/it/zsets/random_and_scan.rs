//! ZRANDMEMBER (a huge negative count included) and ZSCAN.

use super::*;

#[test]
fn zrandmember() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZRANDMEMBER", "missing"], NIL);
    w.is(&["ZRANDMEMBER", "missing", "3"], EMPTY);
    w.is(&["ZRANDMEMBER", "missing", "-3", "WITHSCORES"], EMPTY);
    w.is(&["ZRANDMEMBER", "missing", "-9223372036854775807"], EMPTY);
    let all = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    let pairs: Vec<(String, &str)> = all.iter().enumerate().map(|(i, m)| (i.to_string(), *m)).collect();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(s, m)| (s.as_str(), *m)).collect();
    zadd(&mut w, "z", &pairs);
    let one = w.value(&["ZRANDMEMBER", "z"]);
    w.check(all.iter().any(|m| one.bytes() == m.as_bytes()), format!("ZRANDMEMBER gave {one:?}"));
    w.is(&["ZRANDMEMBER", "z", "0"], EMPTY);
    w.is(&["ZRANDMEMBER", "z", "0", "WITHSCORES"], EMPTY);
    for count in [1usize, 3, 9] {
        let reply = w.value(&["ZRANDMEMBER", "z", &count.to_string()]);
        let distinct: BTreeSet<&[u8]> = reply.items().iter().map(Reply::bytes).collect();
        w.check(reply.items().len() == count && distinct.len() == count, format!("ZRANDMEMBER {count}: {reply:?}"));
    }
    w.unordered(&["ZRANDMEMBER", "z", "10"], b'*', &all);
    w.unordered(&["ZRANDMEMBER", "z", "9223372036854775807"], b'*', &all);
    // With scores: each member followed by its own score.
    let reply = w.value(&["ZRANDMEMBER", "z", "-30", "WITHSCORES"]);
    let items = reply.items();
    w.check(items.len() == 60, format!("ZRANDMEMBER -30 WITHSCORES gave {} items", items.len()));
    for pair in items.chunks(2) {
        let position = all.iter().position(|m| pair[0].bytes() == m.as_bytes());
        w.check(position.is_some_and(|p| pair[1].bytes() == p.to_string().as_bytes()), format!("pair {pair:?}"));
    }
    let reply = w.value(&["ZRANDMEMBER", "z", "-2000"]);
    let seen: BTreeSet<&[u8]> = reply.items().iter().map(Reply::bytes).collect();
    w.check(seen.len() == 10, format!("2000 draws saw {} members", seen.len()));
    w.is(&["ZCARD", "z"], int(10));

    w.is(&["ZRANDMEMBER", "z", "abc"], NOT_INT);
    w.is(
        &["ZRANDMEMBER", "z", "-9223372036854775808"],
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
    );
    // With scores the reply is twice as long: Redis halves the range.
    for count in ["-9223372036854775807", "9223372036854775807", "-4611686018427387904", "4611686018427387904"] {
        w.is(&["ZRANDMEMBER", "z", count, "WITHSCORES"], "-ERR value is out of range\r\n");
    }
    w.is(&["ZRANDMEMBER", "z", "1", "FOO"], SYNTAX);
    w.is(&["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"], SYNTAX);
}

/// See `sets::srandmember_huge_negative_count_is_refused`.
#[test]
fn zrandmember_huge_negative_count_is_refused() {
    if is_redis() {
        return;
    }
    let server = Server::start();
    let mut w = Wire::open(&server);
    zadd(&mut w, "z", &[("1", "a")]);
    let refused = "-ERR value is out of range, a negative count may ask for at most 16777216 members\r\n";
    w.is(&["ZRANDMEMBER", "z", "-4611686018427387903", "WITHSCORES"], refused);
    w.is(&["ZRANDMEMBER", "z", "-16777217"], refused);
    w.is(&["ZCARD", "z"], int(1));
}

#[test]
fn zscan() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZSCAN", "missing", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
    w.is(&["ZSCAN", "missing", "0", "COUNT", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
    let names: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let mut args = vec!["ZADD".to_string(), "z".to_string()];
    for (i, name) in names.iter().enumerate() {
        args.push(format!("{}.5", i));
        args.push(name.clone());
    }
    w.is(&args, int(300));
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    loop {
        let reply = w.value(&["ZSCAN", "z", cursor.as_str(), "COUNT", "17"]);
        let parts = reply.items();
        for pair in parts[1].items().chunks(2) {
            let member = String::from_utf8(pair[0].bytes().to_vec()).unwrap();
            let score = String::from_utf8(pair[1].bytes().to_vec()).unwrap();
            assert_eq!(score, format!("{}.5", &member[1..]), "score of {member}");
            seen.insert(member);
        }
        cursor = String::from_utf8(parts[0].bytes().to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, names.iter().cloned().collect::<BTreeSet<String>>());
    // Scores are formatted like ZSCORE's.
    zadd(&mut w, "small", &[("0.1", "a")]);
    w.is(&["ZSCAN", "small", "0"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$19\r\n0.10000000000000001\r\n");
    w.is(&["ZSCAN", "small", "0", "MATCH", "b*"], "*2\r\n$1\r\n0\r\n*0\r\n");
    w.is(&["ZSCAN", "small", "abc"], "-ERR invalid cursor\r\n");
    w.is(&["ZSCAN", "small", "0", "COUNT", "0"], SYNTAX);
    w.is(&["ZSCAN", "small", "0", "TYPE", "zset"], SYNTAX);
    make_other_types(&mut w);
    w.is(&["ZSCAN", "set", "0"], WRONGTYPE);
}
