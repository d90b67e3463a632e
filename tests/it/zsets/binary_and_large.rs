//! Binary members and a sorted set of a hundred thousand members.

use super::*;

#[test]
fn binary_members() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let odd: [&[u8]; 4] = [b"", b"\0", b"a\r\nb", b"\r\n$3\r\nfoo\r\n"];
    for (i, member) in odd.iter().enumerate() {
        let score = i.to_string();
        w.is(&[&b"ZADD"[..], b"bin", score.as_bytes(), member], int(1));
    }
    w.is(&["ZRANGE", "bin", "0", "-1"], bulks(&odd));
    for (i, member) in odd.iter().enumerate() {
        w.is(&[&b"ZSCORE"[..], b"bin", member], bulk(i.to_string()));
        w.is(&[&b"ZRANK"[..], b"bin", member], int(i as i64));
    }
    w.is(&[&b"ZREM"[..], b"bin", b"a\r\nb"], int(1));
    w.is(&["ZRANGEBYSCORE", "bin", "1", "3"], bulks(&[&b"\0"[..], b"\r\n$3\r\nfoo\r\n"]));
    w.is(&[&b"ZADD"[..], b"k\0\r\n", b"1", b"v"], int(1));
    w.is(&[&b"ZCARD"[..], b"k\0\r\n"], int(1));
}

#[test]
fn hundred_thousand_members() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let n = 100_000;
    let name = |i: usize| format!("member:{i:06}");
    // Scores in reverse of the names, half of them tied in pairs.
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..n {
        args.push(((n - i) / 2).to_string());
        args.push(name(i));
    }
    w.is(&args, int(n as i64));
    w.is(&["ZCARD", "big"], int(n as i64));
    // Rank order: score ascending, then member bytes.
    w.is(
        &["ZRANGE", "big", "0", "2", "WITHSCORES"],
        scored(&[("member:099999", "0"), ("member:099997", "1"), ("member:099998", "1")]),
    );
    w.is(&["ZRANK", "big", "member:000000"], int(n as i64 - 1));
    // member:049999 and member:050000 share score 25000.
    w.is(&["ZRANK", "big", "member:050000"], int(50_000));
    w.is(&["ZREVRANK", "big", "member:000000"], int(0));
    w.is(&["ZRANGE", "big", "49999", "50001"], bulks(&["member:049999", "member:050000", "member:049997"]));
    w.is(&["ZRANGE", "big", "-1", "-1"], bulks(&["member:000000"]));
    w.is(&["ZCOUNT", "big", "1000", "(2000"], int(2000));
    w.is(&["ZRANGEBYSCORE", "big", "(49999", "50000", "LIMIT", "0", "5"], bulks(&["member:000000"]));
    w.is(&["ZRANGEBYSCORE", "big", "49999", "50000", "LIMIT", "1", "5"], bulks(&["member:000002", "member:000000"]));
    let whole = w.value(&["ZRANGE", "big", "0", "-1"]);
    w.check(whole.items().len() == n, "ZRANGE of everything");
    w.is(&["ZREMRANGEBYRANK", "big", "0", "9999"], int(10_000));
    w.is(&["ZRANK", "big", "member:089999"], NIL);
    w.is(&["ZRANK", "big", "member:090000"], int(0));
    w.is(&["ZREMRANGEBYSCORE", "big", "40000", "+inf"], int(20_001));
    w.is(&["ZCARD", "big"], int(69_999));
    let popped = w.value(&["ZPOPMAX", "big", "30000"]);
    w.check(popped.items().len() == 60_000, "ZPOPMAX 30000");
    w.is(&["ZPOPMAX", "big"], scored(&[("member:050002", "24999")]));
    w.is(&["ZUNIONSTORE", "copy", "1", "big", "WEIGHTS", "2"], int(39_998));
    w.is(&["ZSCORE", "copy", "member:050001"], bulk("49998"));
    w.is(&["ZINTERCARD", "2", "big", "copy"], int(39_998));
    let picked = w.value(&["ZRANDMEMBER", "big", "35000"]);
    let distinct: BTreeSet<&[u8]> = picked.items().iter().map(Reply::bytes).collect();
    w.check(distinct.len() == 35_000, format!("ZRANDMEMBER 35000 gave {} distinct", distinct.len()));
    let rest = w.call(&["ZRANGE", "big", "0", "-1", "WITHSCORES"]);
    w.is(&["ZPOPMIN", "big", "100000"], rest);
    w.is(&["EXISTS", "big"], int(0));
}
