//! A real client: redis-py 8 runs `tests/py/scripting_check.py`, which
//! uses redis-py's `Lock` (its acquire, extend, reacquire and release are
//! Lua scripts run with EVALSHA, falling back to EVAL) and scripts
//! registered with `register_script` that use cjson and cmsgpack, over
//! RESP2 and over RESP3. The program prints one line per check; both
//! runs must print exactly what Redis 7.0 makes them print.

use crate::common::needs::{self, Need};
use crate::common::{run_python_check, Server};

const EXPECTED: &str = r#"acquire: True
acquire taken: False
acquire taken, waiting 0.2 s: False
locked: True
owned: True
owned by the other: False
ttl about 5 s: True
extend by 10 s: True
ttl about 15 s: True
extend to 3 s: True
ttl about 3 s: True
reacquire: True
ttl about 5 s again: True
extend by the other: ('LockError', 'Cannot extend an unlocked lock')
release by the other: ('LockError', "Cannot release a lock that's not owned or is already unlocked.")
release: None
exists after release: 0
locked after release: False
release again: ('LockError', "Cannot release a lock that's not owned or is already unlocked.")
acquire again: True
owned after loss: False
extend lost: ('LockNotOwnedError', "Cannot extend a lock that's no longer owned")
reacquire lost: ('LockNotOwnedError', "Cannot reacquire a lock that's no longer owned")
release lost: ('LockNotOwnedError', "Cannot release a lock that's no longer owned")
value after lost release: b'someone else'
acquire short: True
acquire after expiry: True
waited less than 3 s: True
release expired: ('LockNotOwnedError', "Cannot release a lock that's no longer owned")
acquire handoff: True
acquired by the waiting thread: [True]
exists inside with: 1
exists after with: 0
sha: True
exists before the first call: [False]
cjson and cmsgpack: '{"count": 42, "name": "efis", "tags": ["a", "seen"]}'
stored msgpack length: 31
exists after the first call: [True]
exists after flush: [False]
after flush: '{"count": 1, "name": "again", "tags": ["seen"]}'
msgpack bytes: b'\x93\x01\x02\x03\xa1x\x81\xa1k\xa1v'
msgpack from the client: [1, b'b', 1]
error from a script: ('ResponseError', 'value is not an integer or out of range script: 2bab3b661081db58bd2341920e0ba7cf5dc77b25, on @user_script:1.')
error sha: '2bab3b661081db58bd2341920e0ba7cf5dc77b25'
pipeline: [1, 2, 42]
eval_ro: b'2'
fcall: b'{"v":"2"}'
done
"#;

#[test]
fn redis_py_lock_and_registered_scripts() {
    let Some(python) = needs::tool(Need::RedisPy) else { return };
    let s = Server::start();
    for protocol in ["2", "3"] {
        let what = format!("scripting_check.py (RESP{protocol})");
        let out = run_python_check(&python, "scripting_check.py", &[&s.port.to_string(), protocol], &what);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "scripting_check.py (RESP{protocol}) failed ({}):\n{stdout}{stderr}", out.status);
        let got: Vec<&str> = stdout.lines().collect();
        let want: Vec<&str> = EXPECTED.lines().collect();
        for (i, line) in want.iter().enumerate() {
            assert_eq!(got.get(i), Some(line), "RESP{protocol}, line {}; whole output:\n{stdout}", i + 1);
        }
        assert_eq!(got.len(), want.len(), "RESP{protocol}: extra lines:\n{stdout}");
    }
}
