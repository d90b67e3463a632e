//! `efis backup --host H --port P [--password X] --dir D [--every SECONDS]
//! [--keep N] [--format efis|rdb]`: asks a running server for a fresh
//! snapshot over its own port (`SYNC`, answered with the snapshot file as
//! one bulk string), verifies every checksum, and stores it in `D` as
//! `efis-YYYYMMDDTHHMMSSZ.snap`, atomically (temporary name, fsync,
//! rename, directory fsync). With `--format rdb` it asks for a Redis RDB
//! file instead (`REPLCONF rdb-only 1` first, as `redis-cli --rdb` does),
//! checks its signature and CRC-64 and stores it as `efis-...Z.rdb`. With
//! `--every` it repeats forever and keeps the newest `--keep` backups
//! (default 7).
//!
//! On the server's side, `SYNC` starts a compaction (or joins the one being
//! written) and answers with the new snapshot file once the child has
//! finished it, so a backup is a consistent point in time and costs the
//! server no more than a `BGSAVE`. The password is taken from
//! `REQUIREPASS` in the environment unless `--password` is given, which
//! keeps it out of the process list; `just run-backup` runs this every
//! 600 seconds.
//!
//! With `--tls` (or `--cacert`, `--cert`, `--key`) it connects over TLS,
//! checking the server's certificate against the CA (`--cacert`, default
//! `TLS_CA_CERT_FILE`) and showing its own (`--cert`/`--key`, default
//! `TLS_CERT_FILE`/`TLS_KEY_FILE`) when the server asks for one.
//!
//! To restore, stop the server, put the file in an empty `BACKUP_PATH`
//! and start it: a directory holding only a snapshot is loaded from it and
//! goes on with the log generation the snapshot names (see
//! [`super::load`]).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::load::{read_file, FileKind};
use crate::protocol::Args;
use crate::tls::{connect, ClientTls};

/// Parsed `efis backup` options.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
    pub dir: PathBuf,
    pub every: Option<u64>,
    pub keep: usize,
    /// How to connect over TLS; `None` for plain TCP.
    pub tls: Option<ClientTls>,
    /// A Redis RDB file rather than an Efis snapshot.
    pub rdb: bool,
}

impl BackupOptions {
    pub fn parse(args: &[String]) -> Result<BackupOptions, String> {
        let mut options = BackupOptions {
            host: "127.0.0.1".into(),
            port: 6379,
            password: std::env::var("REQUIREPASS").ok().filter(|p| !p.is_empty()),
            dir: PathBuf::new(),
            every: None,
            keep: 7,
            tls: None,
            rdb: false,
        };
        let mut client = ClientTls::from_env();
        let mut wants_tls = false;
        let mut i = 0;
        while i < args.len() {
            let taken = client.parse_flag(&mut wants_tls, args, i)?;
            if taken > 0 {
                i += taken;
                continue;
            }
            let value = args.get(i + 1).ok_or_else(|| format!("option '{}' needs a value", args[i]))?;
            let number = |what: &str| value.parse::<u64>().map_err(|_| format!("invalid {what} value '{value}'"));
            match args[i].as_str() {
                "--host" => options.host = value.clone(),
                "--port" => options.port = number("--port")?.try_into().map_err(|_| "invalid --port value")?,
                "--password" => options.password = Some(value.clone()),
                "--dir" => options.dir = PathBuf::from(value),
                "--every" => options.every = Some(number("--every")?).filter(|&s| s > 0),
                "--keep" => options.keep = number("--keep")?.max(1) as usize,
                "--format" => {
                    options.rdb = match value.as_str() {
                        "rdb" => true,
                        "efis" => false,
                        _ => return Err(format!("invalid --format value '{value}': efis or rdb")),
                    }
                }
                other => return Err(format!("unknown backup option '{other}'")),
            }
            i += 2;
        }
        if options.dir.as_os_str().is_empty() {
            return Err("--dir is required".into());
        }
        options.tls = wants_tls.then_some(client);
        Ok(options)
    }
}

/// Runs `efis backup`; returns the exit code.
pub fn run(options: &BackupOptions) -> i32 {
    if let Err(e) = std::fs::create_dir_all(&options.dir) {
        eprintln!("efis backup: cannot create {}: {e}", options.dir.display());
        return 2;
    }
    loop {
        match backup_once(options) {
            Ok((path, bytes)) => println!("efis backup: wrote {} ({bytes} bytes)", path.display()),
            Err(e) => {
                eprintln!("efis backup: {}:{}: {e}", options.host, options.port);
                if options.every.is_none() {
                    return 1;
                }
            }
        }
        let Some(every) = options.every else { return 0 };
        prune(&options.dir, options.keep);
        std::thread::sleep(Duration::from_secs(every));
    }
}

/// Pulls one snapshot into `options.dir`.
pub fn backup_once(options: &BackupOptions) -> io::Result<(PathBuf, u64)> {
    let stream = connect(&options.host, options.port, options.tls.as_ref())?;
    stream.tcp().set_read_timeout(Some(Duration::from_secs(3600)))?;
    let mut reader = BufReader::new(stream);
    if let Some(password) = &options.password {
        send(reader.get_mut(), &[b"AUTH", password.as_bytes()])?;
        let line = read_line(&mut reader)?;
        if !line.starts_with('+') {
            return Err(io::Error::other(format!("AUTH refused: {}", line.trim_start_matches('-'))));
        }
    }
    if options.rdb {
        send(reader.get_mut(), &[b"REPLCONF", b"rdb-only", b"1"])?;
        let line = read_line(&mut reader)?;
        if !line.starts_with('+') {
            return Err(io::Error::other(format!("REPLCONF refused: {}", line.trim_start_matches('-'))));
        }
    }
    send(reader.get_mut(), &[b"SYNC"])?;
    // Redis sends bare newlines while it prepares the file: skip them.
    let mut line = read_line(&mut reader)?;
    while line.is_empty() {
        line = read_line(&mut reader)?;
    }
    let len: u64 = match line.strip_prefix('$').and_then(|n| n.parse().ok()) {
        Some(len) => len,
        None => return Err(io::Error::other(format!("unexpected reply: {}", line.trim_start_matches('-')))),
    };
    let extension = if options.rdb { "rdb" } else { "snap" };
    let name = format!("efis-{}.{extension}", timestamp(crate::clock::unix_ms() / 1000));
    let final_path = options.dir.join(&name);
    let temp_path = options.dir.join(format!("{name}.tmp"));
    let result = (|| {
        let mut file = std::fs::File::create(&temp_path)?;
        let copied = io::copy(&mut (&mut reader).take(len), &mut file)?;
        if copied != len {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the connection closed inside the snapshot"));
        }
        file.sync_all()?;
        drop(file);
        if options.rdb {
            verify_rdb(&std::fs::read(&temp_path)?)?;
        } else {
            let mut verify = |_: i64, _: usize, _: Args<'_>| Ok(());
            read_file(&temp_path, FileKind::Snapshot, &mut verify)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("received a damaged snapshot: {e}")))?;
        }
        std::fs::rename(&temp_path, &final_path)?;
        super::sync_dir(&options.dir)?;
        Ok((final_path.clone(), len))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp_path);
    }
    result
}

/// An RDB file's signature and trailing CRC-64 (0: written without one).
fn verify_rdb(bytes: &[u8]) -> io::Result<()> {
    let damaged = |why: &str| io::Error::new(io::ErrorKind::InvalidData, format!("received a damaged RDB file: {why}"));
    if bytes.len() < 18 || !bytes.starts_with(b"REDIS") {
        return Err(damaged("no REDIS signature"));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 8);
    let crc = u64::from_le_bytes(crc.try_into().expect("8 bytes"));
    if crc != 0 && crc != super::rdb::crc64::crc64(0, body) {
        return Err(damaged("wrong checksum"));
    }
    Ok(())
}

fn send(stream: &mut impl Write, args: &[&[u8]]) -> io::Result<()> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    stream.write_all(&out)
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
    }
    Ok(line.trim_end().to_string())
}

/// Keeps the newest `keep` backups this tool made in `dir`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut ours: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("efis-") && (name.ends_with(".snap") || name.ends_with(".rdb"))
        })
        .collect();
    ours.sort();
    if ours.len() > keep {
        for path in &ours[..ours.len() - keep] {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `YYYYMMDDTHHMMSSZ` for Unix seconds (UTC).
pub fn timestamp(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let secs = unix_s.rem_euclid(86_400);
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant's
    // well-known algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(super::timestamp(0), "19700101T000000Z");
        assert_eq!(super::timestamp(1_795_000_000), "20261118T110640Z");
        assert_eq!(super::timestamp(951_782_400), "20000229T000000Z");
    }
}
