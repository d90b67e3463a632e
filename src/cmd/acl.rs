//! `ACL` and its subcommands (SETUSER, GETUSER, DELUSER, LIST, USERS,
//! WHOAMI, CAT, GENPASS, LOG, DRYRUN, SAVE, LOAD, HELP), the permission
//! check dispatch runs ([`check`]), and the catalog of commands ACL rules
//! name, built from the command table. Users themselves live in
//! `state::acl`.
//!
//! Invariants: every reply and error is Redis 7.0.15's; a user deleted
//! (or replaced by `ACL LOAD`) has its authenticated clients closed, as
//! Redis closes them; the check costs one indexed flag test for a user
//! allowed everything.

use std::sync::OnceLock;

use super::args::{is, parse_i64_opt};
use super::meta::{arg, categories, find_keys, single_key, FoundKey, FoundKeys, KEY_ACCESS, KEY_CHANGES};
use super::table::{all, lookup_args, CommandSpec, Flags, NO_KEYS};
use super::{unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::Kind as PubSubKind;
use crate::state::acl::catalog::{category_bit, CATEGORIES};
use crate::state::acl::log::{Entry, Reason};
use crate::state::acl::selector::{READ, WRITE};
use crate::state::acl::{file, Call, Catalog, Denial, User};

const ADMIN: Flags = Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE);
const PLAIN: Flags = Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE);
const SUMMARY_N_USERS: &str = "O(N). Where N is the number of configured users.";

pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("acl", -2, Flags::NONE, NO_KEYS, acl)
    .doc("server", "6.0.0", "Depends on subcommand.", "A container for Access List Control commands ")
    .subcommands(SUBCOMMANDS)];

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("acl|cat", -2, PLAIN, NO_KEYS, acl)
        .doc(
            "server",
            "6.0.0",
            "O(1) since the categories and commands are a fixed set.",
            "List the ACL categories or the commands inside a category",
        )
        .args(&[arg::string("categoryname").optional()]),
    CommandSpec::new("acl|deluser", -3, ADMIN, NO_KEYS, acl)
        .doc(
            "server",
            "6.0.0",
            "O(1) amortized time considering the typical user.",
            "Remove the specified ACL users and the associated rules",
        )
        .args(&[arg::string("username").multiple()]),
    CommandSpec::new("acl|dryrun", -4, ADMIN, NO_KEYS, acl)
        .doc(
            "server",
            "7.0.0",
            "O(1).",
            "Returns whether the user can execute the given command without executing the command.",
        )
        .args(&[arg::string("username"), arg::string("command"), arg::string("arg").optional().multiple()]),
    CommandSpec::new("acl|genpass", -2, PLAIN, NO_KEYS, acl)
        .doc("server", "6.0.0", "O(1)", "Generate a pseudorandom secure password to use for ACL users")
        .args(&[arg::integer("bits").optional()]),
    CommandSpec::new("acl|getuser", 3, ADMIN, NO_KEYS, acl)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of password, command and pattern rules that the user has.",
            "Get the rules for a specific ACL user",
        )
        .history(&[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            (
                "7.0.0",
                "Added selectors and changed the format of key and channel patterns from a list to their rule \
                 representation.",
            ),
        ])
        .args(&[arg::string("username")]),
    CommandSpec::new("acl|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, acl).doc(
        "server",
        "6.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("acl|list", 2, ADMIN, NO_KEYS, acl).doc(
        "server",
        "6.0.0",
        SUMMARY_N_USERS,
        "List the current ACL rules in ACL config file format",
    ),
    CommandSpec::new("acl|load", 2, ADMIN, NO_KEYS, acl).doc(
        "server",
        "6.0.0",
        SUMMARY_N_USERS,
        "Reload the ACLs from the configured ACL file",
    ),
    CommandSpec::new("acl|log", -2, ADMIN, NO_KEYS, acl)
        .doc(
            "server",
            "6.0.0",
            "O(N) with N being the number of entries shown.",
            "List latest events denied because of ACLs in place",
        )
        .args(&[arg::oneof("operation", &[arg::integer("count"), arg::token("reset", "RESET")]).optional()]),
    CommandSpec::new("acl|save", 2, ADMIN, NO_KEYS, acl).doc(
        "server",
        "6.0.0",
        SUMMARY_N_USERS,
        "Save the current ACL rules in the configured ACL file",
    ),
    CommandSpec::new("acl|setuser", -3, ADMIN, NO_KEYS, acl)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of rules provided.",
            "Modify or create the rules for a specific ACL user",
        )
        .history(&[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            ("7.0.0", "Added selectors and key based permissions."),
        ])
        .args(&[arg::string("username"), arg::string("rule").optional().multiple()]),
    CommandSpec::new("acl|users", 2, ADMIN, NO_KEYS, acl).doc(
        "server",
        "6.0.0",
        SUMMARY_N_USERS,
        "List the username of all the configured ACL rules",
    ),
    CommandSpec::new("acl|whoami", 2, PLAIN, NO_KEYS, acl).doc(
        "server",
        "6.0.0",
        "O(1)",
        "Return the name of the user associated to the current connection",
    ),
];

/// Every command and subcommand with its categories, by ACL bit.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut specs: Vec<&'static CommandSpec> = all().collect();
        specs.sort_by_key(|s| s.acl_bit);
        let mut catalog = Catalog::default();
        for spec in specs {
            let bit = catalog.add(spec.name, category_bits(spec), None);
            debug_assert_eq!(bit, spec.acl_bit);
            for sub in spec.registered_subcommands() {
                let sub_bit = catalog.add(sub.name, category_bits(sub), Some(bit));
                debug_assert_eq!(sub_bit, sub.acl_bit);
            }
        }
        catalog
    })
}

fn category_bits(spec: &CommandSpec) -> u32 {
    categories(spec).iter().filter_map(|c| category_bit(c)).fold(0, |acc, b| acc | b)
}

/// The channels a call names: (position, channel, is a pattern). Every
/// command named here is flagged `pubsub` (the check asks only those).
fn channels_of<'a>(spec: &CommandSpec, args: Args<'a>) -> Vec<(usize, &'a [u8], bool)> {
    match spec.name {
        "publish" | "spublish" => vec![(1, args.get(1), false)],
        "subscribe" | "ssubscribe" => (1..args.len()).map(|i| (i, args.get(i), false)).collect(),
        "psubscribe" => (1..args.len()).map(|i| (i, args.get(i), true)).collect(),
        _ => Vec::new(),
    }
}

/// Checks `args` (run as `spec`) against `user`. Keys are looked for
/// only when some selector restricts them: a command with one key at a
/// fixed place (most) takes no walk through its key specs, and up to
/// eight keys stay on the stack.
fn check_user(user: &User, spec: &'static CommandSpec, args: Args<'_>) -> Result<(), Denial> {
    if spec.key_specs.is_empty() || user.selectors.iter().all(|s| s.all_keys) {
        return check_call(user, spec, args, &[]);
    }
    if let Some(one) = single_key(spec, args) {
        return check_call(user, spec, args, &[(one.position, args.get(one.position), key_needs(one.bits))]);
    }
    let found = find_keys(spec, args);
    let key = |f: &FoundKey| (f.position, args.get(f.position), key_needs(f.bits));
    if found.len() > FoundKeys::INLINE {
        let keys: Vec<(usize, &[u8], u8)> = found.iter().map(key).collect();
        return check_call(user, spec, args, &keys);
    }
    let mut on_stack: [(usize, &[u8], u8); FoundKeys::INLINE] = [(0, &[], 0); FoundKeys::INLINE];
    for (slot, f) in on_stack.iter_mut().zip(found.iter()) {
        *slot = key(f);
    }
    check_call(user, spec, args, &on_stack[..found.len()])
}

/// Checks the call, its keys found.
#[inline]
fn check_call(
    user: &User,
    spec: &'static CommandSpec,
    args: Args<'_>,
    keys: &[(usize, &[u8], u8)],
) -> Result<(), Denial> {
    let channels = if spec.flags.contains(Flags::PUBSUB) { channels_of(spec, args) } else { Vec::new() };
    // `+cmd|arg` rules are rare: the first argument is looked at only
    // when a selector has one.
    let first_arg = if user.selectors.iter().any(|s| !s.first_args.is_empty()) {
        let at = if spec.name.contains('|') { 2 } else { 1 };
        (args.len() > at).then(|| args.get(at))
    } else {
        None
    };
    let call =
        Call { bit: spec.acl_bit, first_arg, keys, channels: &channels, no_auth: spec.flags.contains(Flags::NO_AUTH) };
    user.check(&call)
}

/// The permissions a key's flags need, as Redis reads them: `access`
/// reads, `insert`, `delete` and `update` write.
fn key_needs(bits: u16) -> u8 {
    let mut needs = 0;
    if bits & KEY_ACCESS != 0 {
        needs |= READ;
    }
    if bits & KEY_CHANGES != 0 {
        needs |= WRITE;
    }
    needs
}

/// The permission check of dispatch: `Ok` or the `-NOPERM` error, with
/// the denial logged. One flag test for a user allowed everything.
#[inline]
pub fn check(ctx: &mut Ctx<'_>, spec: &'static CommandSpec, args: Args<'_>) -> Result<(), CmdError> {
    let slot = ctx.server.session(ctx.client_key).user;
    if ctx.server.acl.unrestricted(slot) {
        return Ok(());
    }
    check_restricted(ctx, slot, spec, args)
}

#[inline(never)]
fn check_restricted(ctx: &mut Ctx<'_>, slot: usize, spec: &'static CommandSpec, args: Args<'_>) -> CmdResult {
    let denial = match ctx.server.acl.user(slot) {
        Some(user) => match check_user(user, spec, args) {
            Ok(()) => return Ok(()),
            Err(denial) => denial,
        },
        None => Denial::Command,
    };
    let (reason, object) = match denial {
        Denial::Command => (Reason::Command, spec.name.as_bytes().to_vec()),
        Denial::Key(at) => (Reason::Key, args.get(at).to_vec()),
        Denial::Channel(at) => (Reason::Channel, args.get(at).to_vec()),
    };
    log_denial(ctx, reason, object, None);
    if ctx.caller == super::Caller::Transaction {
        let why = match denial {
            Denial::Command => "no permission to execute the command or subcommand",
            Denial::Key(_) => "no permission to touch the specified keys",
            Denial::Channel(_) => "no permission to access one of the channels used as arguments",
        };
        return Err(CmdError::Owned(format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This \
             command is no longer allowed for the following reason: {why}"
        )));
    }
    if matches!(ctx.caller, super::Caller::Script { .. }) {
        let why = match denial {
            Denial::Command => "can't run this command or subcommand",
            Denial::Key(_) => "can't access at least one of the keys mentioned in the command arguments",
            Denial::Channel(_) => "can't publish to the channel mentioned in the command",
        };
        return Err(CmdError::Owned(format!("ERR The user executing the script {why}")));
    }
    Err(match denial {
        Denial::Command => {
            CmdError::Owned(format!("NOPERM this user has no permissions to run the '{}' command", spec.name))
        }
        Denial::Key(_) => {
            CmdError::Static("NOPERM this user has no permissions to access one of the keys used as arguments")
        }
        Denial::Channel(_) => {
            CmdError::Static("NOPERM this user has no permissions to access one of the channels used as arguments")
        }
    })
}

/// Adds an ACL log entry for this client (`username` overrides the
/// client's user, for failed authentication).
pub fn log_denial(ctx: &mut Ctx<'_>, reason: Reason, object: Vec<u8>, username: Option<&[u8]>) {
    let client = ctx.server.session(ctx.client_key);
    let context = if client.multi.is_some() || ctx.caller == super::Caller::Transaction {
        "multi"
    } else if matches!(ctx.caller, super::Caller::Script { .. }) {
        "lua"
    } else {
        "toplevel"
    };
    let slot = client.user;
    let username = match username {
        Some(name) => name.to_vec(),
        None => ctx.server.acl.user(slot).map(|u| u.name.clone()).unwrap_or_default(),
    };
    let client_info = if ctx.server.clients.contains(ctx.client_key) {
        super::connection::client_line(ctx.server, ctx.client_key, ctx.now_ms, 0).trim_end().to_string()
    } else {
        String::new()
    };
    let entry = Entry { count: 1, reason, context, object, username, time_ms: ctx.now_ms, client_info };
    ctx.server.acl.log.add(entry);
}

/// Authenticates this client as `user` (AUTH, HELLO AUTH); a failure is
/// logged (its object the command's name as the client wrote it) and
/// answered `-WRONGPASS`.
pub fn authenticate(ctx: &mut Ctx<'_>, command: &[u8], user: &[u8], password: &[u8]) -> CmdResult {
    match ctx.server.acl.authenticate(user, password) {
        Some(slot) => {
            let client = ctx.client();
            client.authenticated = true;
            client.user = slot;
            Ok(())
        }
        None => {
            log_denial(ctx, Reason::Auth, command.to_vec(), Some(user));
            Err(CmdError::Static("WRONGPASS invalid username-password pair or user is disabled."))
        }
    }
}

/// Closes the clients authenticated as one of `slots`.
fn disconnect_users(ctx: &mut Ctx<'_>, slots: &[usize]) {
    let mut any = false;
    for (key, client) in ctx.server.clients.iter_mut() {
        if slots.contains(&client.user) && key != ctx.client_key {
            client.killed = true;
            any = true;
        } else if slots.contains(&client.user) {
            client.close_after_reply = true;
        }
    }
    if any {
        ctx.server.kill_pending = true;
    }
}

fn acl(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let argc = args.len();
    if is(sub, "setuser") && argc >= 3 {
        setuser(ctx, args)
    } else if is(sub, "deluser") && argc >= 3 {
        deluser(ctx, args)
    } else if is(sub, "getuser") && argc == 3 {
        getuser(ctx, args.get(2));
        Ok(())
    } else if (is(sub, "list") || is(sub, "users")) && argc == 2 {
        let names_only = is(sub, "users");
        let lines: Vec<Vec<u8>> = ctx
            .server
            .acl
            .users()
            .map(|u| if names_only { u.name.clone() } else { user_line(u).into_bytes() })
            .collect();
        ctx.out.array(lines.len());
        for line in lines {
            ctx.out.bulk(&line);
        }
        Ok(())
    } else if is(sub, "whoami") && argc == 2 {
        let slot = ctx.server.session(ctx.client_key).user;
        let name = ctx.server.acl.user(slot).map(|u| u.name.clone()).unwrap_or_default();
        ctx.out.bulk(&name);
        Ok(())
    } else if (is(sub, "load") || is(sub, "save")) && ctx.server.config.aclfile.is_none() {
        Err(CmdError::Static(
            "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the \
             ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file \
             set) in order to store users in the Redis configuration.",
        ))
    } else if is(sub, "load") && argc == 2 {
        load(ctx)
    } else if is(sub, "save") && argc == 2 {
        save(ctx)
    } else if is(sub, "cat") && argc == 2 {
        ctx.out.array(CATEGORIES.len());
        for name in CATEGORIES {
            ctx.out.bulk(name.as_bytes());
        }
        Ok(())
    } else if is(sub, "cat") && argc == 3 {
        let name = String::from_utf8_lossy(args.get(2)).into_owned();
        let Some(bit) = category_bit(&name) else {
            let shown: String = name.chars().take(128).collect();
            return Err(CmdError::Owned(format!("ERR Unknown category '{shown}'")));
        };
        let names = catalog().in_category(bit);
        ctx.out.array(names.len());
        for name in names {
            ctx.out.bulk(name.as_bytes());
        }
        Ok(())
    } else if is(sub, "genpass") && (argc == 2 || argc == 3) {
        genpass(ctx, args)
    } else if is(sub, "log") && (argc == 2 || argc == 3) {
        log(ctx, args)
    } else if is(sub, "dryrun") && argc >= 4 {
        dryrun(ctx, args)
    } else if is(sub, "help") && argc == 2 {
        super::server::write_help(ctx, HELP);
        Ok(())
    } else {
        Err(unknown_subcommand("acl", sub))
    }
}

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Print this help.",
];

fn user_line(user: &User) -> String {
    format!("user {} {}", String::from_utf8_lossy(&user.name), user.describe(catalog()))
}

fn setuser(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let name = args.get(2);
    if name.iter().any(|&b| b.is_ascii_whitespace() || b == 0) {
        return Err(CmdError::Static("ERR Usernames can't contain spaces or null characters"));
    }
    let rules: Vec<&[u8]> = (3..args.len()).map(|i| args.get(i)).collect();
    let base = ctx.server.acl.by_name(name).cloned().unwrap_or_else(|| User::new(name));
    let changed = base.apply_all(catalog(), &rules).map_err(CmdError::Owned)?;
    let slot = ctx.server.acl.put(changed);
    disconnect_revoked_subscribers(ctx, slot);
    ctx.out.ok();
    Ok(())
}

/// Closes the clients of the user in `slot` subscribed to a channel or
/// pattern the user may no longer use, as Redis closes them.
fn disconnect_revoked_subscribers(ctx: &mut Ctx<'_>, slot: usize) {
    let Some(user) = ctx.server.acl.user(slot) else { return };
    if user.selectors.iter().any(|s| s.all_channels) {
        return;
    }
    let mut revoked = Vec::new();
    for (key, client) in ctx.server.clients.iter() {
        if client.user != slot || client.subscriptions == 0 {
            continue;
        }
        let pubsub = &ctx.server.pubsub;
        let channels = pubsub.subscriptions_of(key, PubSubKind::Channel);
        let patterns = pubsub.subscriptions_of(key, PubSubKind::Pattern);
        let kept = channels.iter().all(|c| user.channel_allowed(c, false))
            && patterns.iter().all(|p| user.channel_allowed(p, true));
        if !kept {
            revoked.push(key);
        }
    }
    for key in revoked {
        let client = &mut ctx.server.clients[key];
        if key == ctx.client_key {
            client.close_after_reply = true;
        } else {
            client.killed = true;
            ctx.server.kill_pending = true;
        }
    }
}

fn deluser(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if (2..args.len()).any(|i| args.get(i) == b"default") {
        return Err(CmdError::Static("ERR The 'default' user cannot be removed"));
    }
    let mut gone = Vec::new();
    for i in 2..args.len() {
        if let Some(slot) = ctx.server.acl.remove(args.get(i)) {
            gone.push(slot);
        }
    }
    disconnect_users(ctx, &gone);
    ctx.out.int(gone.len() as i64);
    Ok(())
}

fn getuser(ctx: &mut Ctx<'_>, name: &[u8]) {
    let Some(user) = ctx.server.acl.by_name(name).cloned() else {
        ctx.out.null();
        return;
    };
    let catalog = catalog();
    ctx.out.map(6);
    ctx.out.bulk(b"flags");
    let flags = user.flag_names();
    ctx.out.set(flags.len());
    for flag in flags {
        ctx.out.bulk(flag.as_bytes());
    }
    ctx.out.bulk(b"passwords");
    ctx.out.array(user.passwords.len());
    for password in &user.passwords {
        ctx.out.bulk(password.as_bytes());
    }
    describe_selector(ctx, &user.selectors[0], catalog);
    ctx.out.bulk(b"selectors");
    ctx.out.array(user.selectors.len() - 1);
    for selector in &user.selectors[1..] {
        ctx.out.map(3);
        describe_selector(ctx, selector, catalog);
    }
}

fn describe_selector(ctx: &mut Ctx<'_>, selector: &crate::state::acl::selector::Selector, catalog: &Catalog) {
    ctx.out.bulk(b"commands");
    ctx.out.bulk(selector.describe_commands(catalog).as_bytes());
    ctx.out.bulk(b"keys");
    ctx.out.bulk(selector.describe_keys().as_bytes());
    ctx.out.bulk(b"channels");
    ctx.out.bulk(selector.describe_channels().as_bytes());
}

fn genpass(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    const MAX_BITS: i64 = 4096;
    let mut bits = 256;
    if args.len() == 3 {
        bits = parse_i64_opt(args.get(2)).ok_or(CmdError::Static("ERR value is not an integer or out of range"))?;
    }
    if bits <= 0 || bits > MAX_BITS {
        return Err(CmdError::Owned(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to \
             {MAX_BITS}"
        )));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut random = vec![0u8; chars.div_ceil(2)];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(|_| CmdError::Static("ERR cannot read random bytes"))?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    ctx.out.bulk(&hex.as_bytes()[..chars]);
    Ok(())
}

fn log(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut count = 10i64;
    if args.len() == 3 {
        if is(args.get(2), "reset") {
            ctx.server.acl.log.entries.clear();
            ctx.out.ok();
            return Ok(());
        }
        count =
            parse_i64_opt(args.get(2)).ok_or(CmdError::Static("ERR value is not an integer or out of range"))?.max(0);
    }
    let entries: Vec<Entry> = ctx.server.acl.log.entries.iter().take(count as usize).cloned().collect();
    ctx.out.array(entries.len());
    for entry in entries {
        ctx.out.map(7);
        ctx.out.bulk(b"count");
        ctx.out.int(entry.count as i64);
        ctx.out.bulk(b"reason");
        ctx.out.bulk(entry.reason.name().as_bytes());
        ctx.out.bulk(b"context");
        ctx.out.bulk(entry.context.as_bytes());
        ctx.out.bulk(b"object");
        ctx.out.bulk(&entry.object);
        ctx.out.bulk(b"username");
        ctx.out.bulk(&entry.username);
        ctx.out.bulk(b"age-seconds");
        // Shortest round-trip form, as Redis prints this double.
        let age = format!("{}", (ctx.now_ms - entry.time_ms).max(0) as f64 / 1000.0);
        if ctx.out.resp3 {
            ctx.out.buf.extend_from_slice(format!(",{age}\r\n").as_bytes());
        } else {
            ctx.out.bulk(age.as_bytes());
        }
        ctx.out.bulk(b"client-info");
        ctx.out.bulk(entry.client_info.as_bytes());
    }
    Ok(())
}

fn dryrun(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let name = args.get(2);
    let Some(user) = ctx.server.acl.by_name(name).cloned() else {
        return Err(CmdError::Owned(format!("ERR User '{}' not found", String::from_utf8_lossy(name))));
    };
    let call = args.tail(3);
    let Some(spec) = lookup_args(call).filter(|s| s.subcommands.is_empty() || call.len() < 2) else {
        return Err(CmdError::Owned(format!("ERR Command '{}' not found", String::from_utf8_lossy(args.get(3)))));
    };
    if !spec.arity_ok(call.len()) {
        return Err(CmdError::Owned(format!("ERR wrong number of arguments for '{}' command", spec.name)));
    }
    match check_user(&user, spec, call) {
        Ok(()) => ctx.out.ok(),
        Err(Denial::Command) => {
            ctx.out.bulk(format!("This user has no permissions to run the '{}' command", spec.name).as_bytes())
        }
        Err(Denial::Key(at)) => ctx.out.bulk(
            format!("This user has no permissions to access the '{}' key", String::from_utf8_lossy(call.get(at)))
                .as_bytes(),
        ),
        Err(Denial::Channel(at)) => ctx.out.bulk(
            format!("This user has no permissions to access the '{}' channel", String::from_utf8_lossy(call.get(at)))
                .as_bytes(),
        ),
    }
    Ok(())
}

fn load(ctx: &mut Ctx<'_>) -> CmdResult {
    let path = ctx.server.config.aclfile.clone().unwrap_or_default();
    let users = file::load(std::path::Path::new(&path), catalog()).map_err(|e| CmdError::Owned(format!("ERR {e}")))?;
    let stale = ctx.server.acl.replace_all(users);
    disconnect_users(ctx, &stale);
    ctx.out.ok();
    Ok(())
}

fn save(ctx: &mut Ctx<'_>) -> CmdResult {
    let path = ctx.server.config.aclfile.clone().unwrap_or_default();
    let lines: Vec<String> = ctx.server.acl.users().map(user_line).collect();
    if let Err(e) = file::save(std::path::Path::new(&path), &lines) {
        log::warn!("cannot save the ACL file {path}: {e}");
        return Err(CmdError::Static(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
        ));
    }
    ctx.out.ok();
    Ok(())
}

/// Loads `ACLFILE` at start: the users, or an error naming the file.
pub fn load_at_start(acl: &mut crate::state::acl::Acl, path: &str) -> Result<(), String> {
    let users = file::load(std::path::Path::new(path), catalog())?;
    acl.replace_all(users);
    Ok(())
}
