//! The `efis` binary: parses settings, sets up logging (journal-aware) and
//! signals, runs the server and tells systemd when it is ready. Its
//! subcommands ([`SUBCOMMANDS`]) are the operator's tools: `efis ping`
//! (the health probe), `efis check` (verify or repair data files) and
//! `efis backup` (pull a snapshot from a running server).

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use efis::config::{Config, ConfigError};
use efis::server::Server;
use log::{error, info};

#[global_allocator]
static ALLOCATOR: efis::memory::CountingAllocator = efis::memory::CountingAllocator;

/// Exit code for a bad setting.
const EXIT_BAD_CONFIG: u8 = 2;

/// A subcommand of the binary: `efis NAME ARGS...`.
struct Subcommand {
    name: &'static str,
    /// One line for `efis --help`.
    summary: &'static str,
    /// What `efis NAME --help` prints.
    usage: &'static str,
    run: fn(&[String]) -> ExitCode,
}

/// Every subcommand, in `--help` order.
const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "ping",
        summary: "exit 0 if a running server answers PING (the container health check)",
        usage: "Usage: efis ping [--host HOST] [--port PORT] [--tls] [--cacert FILE]\n\
                \x20                [--cert FILE] [--key FILE]\n\n\
                Connects to a running server, sends PING (after AUTH when REQUIREPASS\n\
                is set in the environment) and exits 0 if it answers PONG, 1 otherwise.\n\
                With TLS_PORT set in the environment (the server's own settings, as in\n\
                the container's health check) and no --port, it speaks TLS to TLS_PORT.\n\n\
                \x20 --host HOST    default: BIND when it names one address other than\n\
                \x20                0.0.0.0, else 127.0.0.1\n\
                \x20 --port PORT    default: TLS_PORT (over TLS), else PORT, else 6379\n\
                \x20 --tls          connect over TLS\n\
                \x20 --cacert FILE  CA that signs the server's certificate (implies --tls);\n\
                \x20                default TLS_CA_CERT_FILE\n\
                \x20 --cert FILE    client certificate (implies --tls); default TLS_CERT_FILE\n\
                \x20 --key FILE     client key (implies --tls); default TLS_KEY_FILE\n",
        run: ping,
    },
    Subcommand {
        name: "check",
        summary: "verify log and snapshot files, or cut a damaged one at its last good record",
        usage: "Usage: efis check [--repair] PATH...\n\n\
                Verifies append-only logs (*.aof) and snapshots (*.snap); a directory\n\
                stands for every such file in it, and its chain of logs is checked for\n\
                a missing generation. Exits 0 if everything is good (or was repaired),\n\
                1 otherwise.\n\n\
                \x20 --repair   cut a damaged file at its last good record, keeping what\n\
                \x20            was cut as FILE.cut-OFFSET; a cut snapshot gets a new end\n\
                \x20            record, a log cut inside its header a new header\n",
        run: check,
    },
    Subcommand {
        name: "backup",
        summary: "pull a verified snapshot from a running server into a directory",
        usage: "Usage: efis backup --dir DIR [--host HOST] [--port PORT] [--password PASSWORD]\n\
                \x20                  [--every SECONDS] [--keep N] [--format efis|rdb]\n\
                \x20                  [--tls] [--cacert FILE] [--cert FILE] [--key FILE]\n\n\
                Asks a running server for a fresh snapshot over its own port, verifies\n\
                every checksum and stores it in DIR as efis-YYYYMMDDTHHMMSSZ.snap,\n\
                atomically. Exits 0 once written, 1 if the server could not be read.\n\n\
                \x20 --dir DIR            where backups go (created if missing); required\n\
                \x20 --host HOST          default 127.0.0.1\n\
                \x20 --port PORT          default 6379\n\
                \x20 --password PASSWORD  default: REQUIREPASS from the environment (which\n\
                \x20                      keeps it out of the process list)\n\
                \x20 --every SECONDS      repeat forever, one backup every SECONDS\n\
                \x20 --keep N             with --every, keep the newest N backups (default 7)\n\
                \x20 --format efis|rdb    an Efis snapshot (default) or a Redis RDB file\n\
                \x20                      (efis-...Z.rdb, which redis-server 7.0 loads)\n\
                \x20 --tls                connect over TLS\n\
                \x20 --cacert FILE        CA that signs the server's certificate (implies\n\
                \x20                      --tls); default TLS_CA_CERT_FILE\n\
                \x20 --cert FILE          client certificate (implies --tls); default\n\
                \x20                      TLS_CERT_FILE\n\
                \x20 --key FILE           client key (implies --tls); default TLS_KEY_FILE\n",
        run: backup,
    },
    Subcommand {
        name: "import-rdb",
        summary: "convert a Redis RDB file (dump.rdb) into a data directory, offline",
        usage: "Usage: efis import-rdb FILE [--backup-path DIR]\n\n\
                Reads a Redis RDB file (versions 1 to 10: Redis 2.x to 7.0) and writes\n\
                it as the first snapshot of DIR, which must hold no Efis data yet; the\n\
                server then starts from it. FILE is not changed. Exits 0 once written,\n\
                1 if the file was refused (the error names the offset and the key).\n\n\
                \x20 --backup-path DIR   default: BACKUP_PATH, else ./data (other settings,\n\
                \x20                     such as --databases, as for the server)\n",
        run: import_rdb,
    },
    Subcommand {
        name: "export-rdb",
        summary: "write a data directory's keys as a Redis RDB file, offline",
        usage: "Usage: efis export-rdb [--backup-path DIR] OUT\n\n\
                Loads DIR as start-up would (its newest snapshot and the logs after it)\n\
                and writes every live key and function library to OUT as an RDB file\n\
                of version 10, which redis-server 7.0 loads. Exits 0 once written.\n\n\
                \x20 --backup-path DIR   default: BACKUP_PATH, else ./data\n",
        run: export_rdb,
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants_help = |rest: &[String]| rest.iter().any(|a| a == "--help" || a == "-h");
    let first = args.first().map(String::as_str);
    match first {
        Some("--help") | Some("-h") | Some("help") => {
            // `efis help SUBCOMMAND` is `efis SUBCOMMAND --help`.
            match args.get(1).and_then(|name| SUBCOMMANDS.iter().find(|s| s.name == name)) {
                Some(sub) => print!("{}", sub.usage),
                None => print!("{}", help()),
            }
            ExitCode::SUCCESS
        }
        Some("--version") | Some("-V") | Some("version") => {
            println!("efis {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(name) => match SUBCOMMANDS.iter().find(|s| s.name == name) {
            Some(sub) if wants_help(&args[1..]) => {
                print!("{}", sub.usage);
                ExitCode::SUCCESS
            }
            Some(sub) => (sub.run)(&args[1..]),
            None => serve(&args),
        },
        None => serve(&args),
    }
}

/// `efis --help`: the usage, the subcommands and every setting.
fn help() -> String {
    let subcommands: Vec<(&str, &str)> = SUBCOMMANDS.iter().map(|s| (s.name, s.summary)).collect();
    Config::help(&subcommands)
}

fn bad_config(e: &ConfigError) -> ExitCode {
    eprintln!("efis: {e}");
    ExitCode::from(EXIT_BAD_CONFIG)
}

fn serve(args: &[String]) -> ExitCode {
    let config = match Config::from_sources(|name| std::env::var(name).ok(), args) {
        Ok(config) => config,
        Err(e) => return bad_config(&e),
    };
    if let Err(e) = prepare_backup_path(&config) {
        return bad_config(&e);
    }
    // Unreadable certificates stop the start as a bad setting does.
    if config.tls_port != 0 {
        if let Err(e) = config.tls.server_config() {
            return bad_config(&ConfigError(format!("invalid TLS settings: {e}")));
        }
    }
    // Under systemd the journal stamps every line itself.
    let journal = std::env::var_os("JOURNAL_STREAM").is_some_and(|v| !v.is_empty());
    let _ = simplelog::WriteLogger::init(config.log_level, log_config(journal), std::io::stderr());
    // Signal handlers first: a SIGTERM that arrives while the listener is
    // already bound (and the data is still loading) must stop the server
    // cleanly, not kill it.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(signal, stop.clone()) {
            error!("cannot install signal handler: {e}");
            return ExitCode::from(1);
        }
    }
    let mut server = match Server::bind(config.clone()) {
        Ok(server) => server,
        Err(e) => {
            error!("{e}");
            eprintln!("efis: {e}");
            return ExitCode::from(1);
        }
    };
    server.set_stop_flag(stop);
    if let Err(e) = server.recover() {
        error!("cannot start: {e}");
        eprintln!("efis: cannot start: {e}");
        return ExitCode::from(1);
    }
    let tls = if config.tls_port != 0 { format!(", TLS port {}", config.tls_port) } else { String::new() };
    info!(
        "efis {} started: pid {}, listening on {} port {}{tls}, data in {}",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        config.bind.join(","),
        server.port(),
        config.backup_path.display()
    );
    efis::systemd::notify_ready();
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("event loop failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// Log line format; without the time when the journal (`JOURNAL_STREAM`)
/// adds its own.
fn log_config(journal: bool) -> simplelog::Config {
    let mut builder = simplelog::ConfigBuilder::new();
    builder.set_target_level(simplelog::LevelFilter::Off).set_thread_level(simplelog::LevelFilter::Off);
    if journal {
        builder.set_time_level(simplelog::LevelFilter::Off);
    }
    builder.build()
}

/// Creates `BACKUP_PATH` if missing and checks that it is writable.
fn prepare_backup_path(config: &Config) -> Result<(), ConfigError> {
    let path = &config.backup_path;
    let fail =
        |why: String| ConfigError(format!("invalid BACKUP_PATH (--backup-path) value '{}': {why}", path.display()));
    std::fs::create_dir_all(path).map_err(|e| fail(e.to_string()))?;
    let probe = path.join(format!(".efis-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `efis check [--repair] PATH...`: verifies log and snapshot files (or
/// every one in a directory); exit 0 if all are good (or repaired).
fn check(args: &[String]) -> ExitCode {
    let repair = args.iter().any(|a| a == "--repair");
    let paths: Vec<std::path::PathBuf> = args.iter().filter(|a| *a != "--repair").map(Into::into).collect();
    if paths.is_empty() || paths.iter().any(|p| p.to_string_lossy().starts_with("--")) {
        eprintln!("usage: efis check [--repair] PATH... (efis check --help explains)");
        return ExitCode::from(EXIT_BAD_CONFIG);
    }
    let code = efis::persist::load::check(&paths, repair, &mut std::io::stdout());
    ExitCode::from(code as u8)
}

/// `efis backup --host H --port P [--password X] --dir D [--every S] [--keep N]`.
fn backup(args: &[String]) -> ExitCode {
    match efis::persist::backup::BackupOptions::parse(args) {
        Ok(options) => ExitCode::from(efis::persist::backup::run(&options) as u8),
        Err(e) => bad_config(&ConfigError(e)),
    }
}

/// `efis ping [--host H] [--port P]`: exits 0 if the server answers PONG
/// (authenticating with `REQUIREPASS` when it is set).
fn ping(args: &[String]) -> ExitCode {
    let mut host =
        std::env::var("BIND").ok().filter(|h| h != "0.0.0.0" && !h.contains(',')).unwrap_or_else(|| "127.0.0.1".into());
    let port_from = |name: &str| std::env::var(name).ok().and_then(|p| p.parse::<u16>().ok()).filter(|&p| p != 0);
    let mut port = None;
    let mut client = efis::tls::ClientTls::from_env();
    let mut wants_tls = false;
    let mut i = 0;
    while i < args.len() {
        match client.parse_flag(&mut wants_tls, args, i) {
            Ok(0) => {}
            Ok(taken) => {
                i += taken;
                continue;
            }
            Err(e) => return bad_config(&ConfigError(e)),
        }
        match (args[i].as_str(), args.get(i + 1)) {
            ("--host", Some(h)) => host = h.clone(),
            ("--port", Some(p)) => match p.parse() {
                Ok(p) => port = Some(p),
                Err(_) => return bad_config(&ConfigError(format!("invalid --port value '{p}'"))),
            },
            (other, _) => return bad_config(&ConfigError(format!("unknown ping option '{other}'"))),
        }
        i += 2;
    }
    // The server's own TLS port when it has one, unless told otherwise.
    let port = match (port, port_from("TLS_PORT")) {
        (Some(port), _) => port,
        (None, Some(tls_port)) => {
            wants_tls = true;
            tls_port
        }
        (None, None) => port_from("PORT").unwrap_or(6379),
    };
    let tls = wants_tls.then_some(client);
    let answer = (|| -> std::io::Result<Vec<u8>> {
        let mut stream = efis::tls::connect(&host, port, tls.as_ref())?;
        stream.tcp().set_read_timeout(Some(Duration::from_secs(3)))?;
        // The server's own REQUIREPASS (the container's health check runs
        // with the server's environment): authenticate first.
        let mut request = Vec::new();
        if let Some(password) = std::env::var("REQUIREPASS").ok().filter(|p| !p.is_empty()) {
            request.extend_from_slice(format!("*2\r\n$4\r\nAUTH\r\n${}\r\n", password.len()).as_bytes());
            request.extend_from_slice(password.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"PING\r\n");
        stream.write_all(&request)?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 256];
        // Read until the PING's answer (the last line) has arrived.
        let wanted_lines = if request.starts_with(b"*2") { 2 } else { 1 };
        while reply.iter().filter(|&&b| b == b'\n').count() < wanted_lines {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
        }
        if wanted_lines == 2 {
            match reply.iter().position(|&b| b == b'\n') {
                Some(end) if reply.starts_with(b"+OK") => reply.drain(..=end),
                _ => reply.drain(..0),
            };
        }
        Ok(reply)
    })();
    match answer {
        Ok(reply) if reply.starts_with(b"+PONG") => {
            println!("PONG");
            ExitCode::SUCCESS
        }
        Ok(reply) => {
            eprintln!("efis ping: unexpected reply {:?}", String::from_utf8_lossy(&reply));
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("efis ping: {host}:{port}: {e}");
            ExitCode::from(1)
        }
    }
}

/// Splits a subcommand's arguments into settings (flags, as for the
/// server) and positional arguments.
fn settings_and_paths(args: &[String]) -> Result<(Config, Vec<String>), ConfigError> {
    let (mut flags, mut paths) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < args.len() {
        if args[i].starts_with("--") {
            flags.push(args[i].clone());
            if !args[i].contains('=') {
                if let Some(value) = args.get(i + 1) {
                    flags.push(value.clone());
                    i += 1;
                }
            }
        } else {
            paths.push(args[i].clone());
        }
        i += 1;
    }
    let config = Config::from_sources(|name| std::env::var(name).ok(), &flags)?;
    Ok((config, paths))
}

/// `efis import-rdb FILE [--backup-path DIR]`.
fn import_rdb(args: &[String]) -> ExitCode {
    let (config, paths) = match settings_and_paths(args) {
        Ok(parsed) => parsed,
        Err(e) => return bad_config(&e),
    };
    let [file] = paths.as_slice() else {
        eprintln!("usage: efis import-rdb FILE [--backup-path DIR] (efis import-rdb --help explains)");
        return ExitCode::from(EXIT_BAD_CONFIG);
    };
    if let Err(e) = prepare_backup_path(&config) {
        return bad_config(&e);
    }
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let progress = |at: usize, total: usize| {
        if terminal && total > 0 {
            let done = at.min(total) * 40 / total;
            eprint!("\r[{}{}] {:3}%", "#".repeat(done), " ".repeat(40 - done), at.min(total) * 100 / total);
        }
    };
    let now = efis::clock::unix_ms();
    let tracking = efis::store::Tracking::default();
    let result = efis::persist::rdb::import::import_into(
        std::path::Path::new(file),
        &config.backup_path,
        config.databases,
        tracking,
        now,
        progress,
    );
    if terminal {
        eprintln!();
    }
    match result {
        Ok((loaded, written)) => {
            println!(
                "imported {} keys ({} already expired, {} function libraries) from {file} into {} in {:.3} s",
                written.keys,
                loaded.expired_skipped,
                loaded.functions.len(),
                config.backup_path.display(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("efis import-rdb: {e}");
            ExitCode::from(1)
        }
    }
}

/// `efis export-rdb [--backup-path DIR] OUT`.
fn export_rdb(args: &[String]) -> ExitCode {
    let (config, paths) = match settings_and_paths(args) {
        Ok(parsed) => parsed,
        Err(e) => return bad_config(&e),
    };
    let [out] = paths.as_slice() else {
        eprintln!("usage: efis export-rdb [--backup-path DIR] OUT (efis export-rdb --help explains)");
        return ExitCode::from(EXIT_BAD_CONFIG);
    };
    let now = efis::clock::unix_ms();
    let mut store = efis::store::Keyspace::new(config.databases);
    let mut state = efis::state::ServerState::new(config.clone(), now);
    let mut replay = efis::cmd::replay::Replay::new(&mut store, &mut state);
    let recovered = efis::persist::load::recover(&config.backup_path, &mut replay);
    replay.finish();
    if let Err(e) = recovered {
        eprintln!("efis export-rdb: {e}");
        return ExitCode::from(1);
    }
    let functions: Vec<Vec<u8>> = state.persist.preamble.iter().filter_map(|command| command.get(2).cloned()).collect();
    let mut bytes = Vec::new();
    let keys = efis::persist::rdb::file::write_file(&store, &functions, None, efis::clock::unix_ms(), &mut bytes);
    let temp = format!("{out}.tmp");
    let written = std::fs::write(&temp, &bytes).and_then(|()| std::fs::rename(&temp, out));
    // The process ends here: freeing the keyspace value by value would
    // take longer than exiting.
    std::mem::forget(store);
    match written {
        Ok(()) => {
            println!("exported {keys} keys to {out} ({} bytes)", bytes.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            eprintln!("efis export-rdb: cannot write {out}: {e}");
            ExitCode::from(1)
        }
    }
}
