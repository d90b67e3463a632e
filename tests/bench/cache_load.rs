//! The load of `just bench --cache`: a cache-aside client. Each request
//! picks a key from a Zipf distribution, `GET`s it, and on a miss `SET`s
//! it; requests go out in pipelined batches over a few connections, one
//! thread each. Prints one JSON object: hits and misses after the warm-up,
//! operations per second (GETs and SETs), and the batch round-trip
//! latencies (worst and 99th percentile), which include any eviction
//! pause of the server.
//!
//! Usage: `cache_load --port P [--keys N] [--value BYTES] [--zipf S]
//! [--requests N] [--warmup N] [--pipeline N] [--connections N]`.
//! Only 127.0.0.1 is used. This is a tool for the bench, not a test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Options {
    port: u16,
    keys: usize,
    value: usize,
    zipf: f64,
    requests: u64,
    warmup: u64,
    pipeline: usize,
    connections: usize,
}

fn options() -> Options {
    let mut o = Options {
        port: 6379,
        keys: 300_000,
        value: 200,
        zipf: 0.99,
        requests: 3_000_000,
        warmup: 1_000_000,
        pipeline: 32,
        connections: 4,
    };
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or("");
        let number = || value.parse::<u64>().unwrap_or_else(|_| panic!("{} needs a number", pair[0]));
        match pair[0].as_str() {
            "--port" => o.port = number() as u16,
            "--keys" => o.keys = number() as usize,
            "--value" => o.value = number() as usize,
            "--zipf" => o.zipf = value.parse().expect("--zipf needs a number"),
            "--requests" => o.requests = number(),
            "--warmup" => o.warmup = number(),
            "--pipeline" => o.pipeline = number().max(1) as usize,
            "--connections" => o.connections = number().max(1) as usize,
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// The cumulative distribution of Zipf(`s`) over ranks 1..=n.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut cdf = Vec::with_capacity(n);
    let mut total = 0.0;
    for rank in 1..=n {
        total += 1.0 / (rank as f64).powf(s);
        cdf.push(total);
    }
    for p in &mut cdf {
        *p /= total;
    }
    cdf
}

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Default)]
struct Tally {
    hits: u64,
    misses: u64,
    operations: u64,
    latencies_us: Vec<u32>,
    /// Time from the first counted batch to the end.
    measured: Duration,
}

fn read_line(reader: &mut BufReader<TcpStream>, line: &mut Vec<u8>) {
    line.clear();
    reader.read_until(b'\n', line).expect("read");
    assert!(line.ends_with(b"\r\n"), "connection closed");
}

/// Reads one `GET` reply: true for a hit.
fn read_get(reader: &mut BufReader<TcpStream>, line: &mut Vec<u8>, sink: &mut Vec<u8>) -> bool {
    read_line(reader, line);
    match line[0] {
        b'$' if line.starts_with(b"$-1") => false,
        b'$' => {
            let len: usize = std::str::from_utf8(&line[1..line.len() - 2]).unwrap().parse().unwrap();
            sink.resize(len + 2, 0);
            reader.read_exact(sink).expect("read value");
            true
        }
        _ => panic!("unexpected GET reply {}", String::from_utf8_lossy(line)),
    }
}

fn key_text(rank: usize) -> String {
    format!("cache:{rank:08}")
}

fn client(o: &Options, cdf: &[f64], seed: u64, requests: u64, warmup: u64) -> Tally {
    let stream = TcpStream::connect(("127.0.0.1", o.port)).expect("connect");
    stream.set_nodelay(true).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut random = Random(seed | 1);
    let value = vec![b'v'; o.value];
    let (mut out, mut line, mut sink) = (Vec::new(), Vec::new(), Vec::new());
    let mut tally = Tally::default();
    let mut done = 0u64;
    let mut keys: Vec<String> = Vec::with_capacity(o.pipeline);
    let mut missed: Vec<usize> = Vec::new();
    let mut measuring_since: Option<Instant> = None;
    while done < requests {
        keys.clear();
        out.clear();
        for _ in 0..o.pipeline {
            let rank = cdf.partition_point(|&p| p < random.unit()).min(cdf.len() - 1);
            let key = key_text(rank);
            out.extend_from_slice(format!("*2\r\n$3\r\nGET\r\n${}\r\n{}\r\n", key.len(), key).as_bytes());
            keys.push(key);
        }
        let started = Instant::now();
        if done >= warmup && measuring_since.is_none() {
            measuring_since = Some(started);
        }
        writer.write_all(&out).unwrap();
        missed.clear();
        for i in 0..keys.len() {
            if !read_get(&mut reader, &mut line, &mut sink) {
                missed.push(i);
            }
        }
        if !missed.is_empty() {
            out.clear();
            for &i in &missed {
                let key = &keys[i];
                out.extend_from_slice(
                    format!("*3\r\n$3\r\nSET\r\n${}\r\n{}\r\n${}\r\n", key.len(), key, value.len()).as_bytes(),
                );
                out.extend_from_slice(&value);
                out.extend_from_slice(b"\r\n");
            }
            writer.write_all(&out).unwrap();
            for _ in &missed {
                read_line(&mut reader, &mut line);
                assert!(line.starts_with(b"+OK"), "SET failed: {}", String::from_utf8_lossy(&line));
            }
        }
        let elapsed = started.elapsed();
        done += keys.len() as u64;
        if measuring_since.is_some() {
            tally.hits += (keys.len() - missed.len()) as u64;
            tally.misses += missed.len() as u64;
            tally.operations += (keys.len() + missed.len()) as u64;
            tally.latencies_us.push(elapsed.as_micros().min(u32::MAX as u128) as u32);
        }
    }
    tally.measured = measuring_since.map_or(Duration::ZERO, |since| since.elapsed());
    tally
}

fn main() {
    let o = Arc::new(options());
    let cdf = Arc::new(zipf_cdf(o.keys, o.zipf));
    let per_client = o.requests / o.connections as u64;
    let warmup = o.warmup / o.connections as u64;
    let handles: Vec<_> = (0..o.connections)
        .map(|i| {
            let (o, cdf) = (Arc::clone(&o), Arc::clone(&cdf));
            let seed = 0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1).wrapping_mul(0x1234_5678);
            std::thread::spawn(move || client(&o, &cdf, seed, per_client, warmup))
        })
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        let tally = handle.join().expect("client thread");
        total.hits += tally.hits;
        total.misses += tally.misses;
        total.operations += tally.operations;
        total.measured = total.measured.max(tally.measured);
        total.latencies_us.extend(tally.latencies_us);
    }
    let seconds = total.measured.as_secs_f64();
    total.latencies_us.sort_unstable();
    let percentile = |p: f64| -> u32 {
        let v = &total.latencies_us;
        if v.is_empty() {
            return 0;
        }
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
    };
    let lookups = (total.hits + total.misses).max(1);
    println!(
        "{{\"hits\": {}, \"misses\": {}, \"hit_ratio\": {:.4}, \"ops_per_sec\": {:.0}, \"p99_us\": {}, \"max_us\": {}}}",
        total.hits,
        total.misses,
        total.hits as f64 / lookups as f64,
        total.operations as f64 / seconds.max(1e-9),
        percentile(0.99),
        total.latencies_us.last().copied().unwrap_or(0)
    );
}
