//! `COMMAND` and its subcommands: what the command table says about each
//! command, in Redis 7.0's reply shapes (`COMMAND INFO`, `DOCS`, `LIST
//! [FILTERBY MODULE|ACLCAT|PATTERN]`, `COUNT`, `GETKEYS`,
//! `GETKEYSANDFLAGS`). Client libraries read these to route commands and
//! parse replies.
//!
//! # Invariants
//!
//! * Everything answered here comes from the command table
//!   (`table.rs`) and the rules of `meta.rs`; nothing is listed twice.
//! * `COMMAND LIST` and `COUNT` cover the commands Efis has; `LIST` also
//!   names their subcommands (`config|get`).

use super::args::is;
use super::meta::{arg, categories, find_keys, key_flag_names_of, Arg, ArgKind, Begin, Find, KeySpec, KEY_NOT_KEY};
use super::table::{all as all_commands, count as command_count, lookup, lookup_full_name, CommandSpec, Flags};
use super::{unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::store::glob::glob_match;

const LS: Flags = Flags::LOADING.or(Flags::STALE);

pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("command", -1, LS, (0, 0, 0), command)
    .acl("connection")
    .tips("nondeterministic_output_order")
    .doc("server", "2.8.13", "O(N) where N is the total number of Redis commands", "Get array of Redis command details")
    .subcommands(SUBCOMMANDS)];

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("command|count", 2, LS, (0, 0, 0), command).acl("connection").doc(
        "server",
        "2.8.13",
        "O(1)",
        "Get total number of Redis commands",
    ),
    CommandSpec::new("command|docs", -2, LS, (0, 0, 0), command)
        .acl("connection")
        .tips("nondeterministic_output_order")
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of commands to look up",
            "Get array of specific Redis command documentation",
        )
        .args(&[arg::string("command-name").optional().multiple()]),
    CommandSpec::new("command|getkeys", -4, LS, (0, 0, 0), command).acl("connection").doc(
        "server",
        "2.8.13",
        "O(N) where N is the number of arguments to the command",
        "Extract keys given a full Redis command",
    ),
    CommandSpec::new("command|getkeysandflags", -4, LS, (0, 0, 0), command).acl("connection").doc(
        "server",
        "7.0.0",
        "O(N) where N is the number of arguments to the command",
        "Extract keys and access flags given a full Redis command",
    ),
    CommandSpec::new("command|help", 2, LS, (0, 0, 0), command).acl("connection").doc(
        "server",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("command|info", -2, LS, (0, 0, 0), command)
        .acl("connection")
        .tips("nondeterministic_output_order")
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of commands to look up",
            "Get array of specific Redis command details, or all when no argument is given.",
        )
        .history(&[("7.0.0", "Allowed to be called with no argument to get info on all commands.")])
        .args(&[arg::string("command-name").optional().multiple()]),
    CommandSpec::new("command|list", -2, LS, (0, 0, 0), command)
        .acl("connection")
        .tips("nondeterministic_output_order")
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the total number of Redis commands",
            "Get an array of Redis command names",
        )
        .args(&[arg::oneof(
            "filterby",
            &[
                arg::string("module-name").token("MODULE"),
                arg::string("category").token("ACLCAT"),
                arg::pattern("pattern").token("PATTERN"),
            ],
        )
        .token("FILTERBY")
        .optional()]),
];

fn command(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    if args.len() == 1 {
        let specs: Vec<&CommandSpec> = all_commands().collect();
        ctx.out.array(specs.len());
        for spec in specs {
            write_info(&mut ctx.out, spec);
        }
        return Ok(());
    }
    let sub = args.get(1);
    if is(sub, "count") {
        ctx.out.int(command_count() as i64);
    } else if is(sub, "info") {
        let specs: Vec<Option<&CommandSpec>> = if args.len() == 2 {
            all_commands().map(Some).collect()
        } else {
            args.iter().skip(2).map(lookup_full_name).collect()
        };
        ctx.out.array(specs.len());
        for spec in specs {
            match spec {
                Some(spec) => write_info(&mut ctx.out, spec),
                None => ctx.out.null(),
            }
        }
    } else if is(sub, "docs") {
        let specs: Vec<&CommandSpec> = if args.len() == 2 {
            all_commands().collect()
        } else {
            args.iter().skip(2).filter_map(lookup_full_name).collect()
        };
        ctx.out.map(specs.len());
        for spec in specs {
            ctx.out.bulk(spec.name.as_bytes());
            write_docs(&mut ctx.out, spec);
        }
    } else if is(sub, "list") {
        let names = list(args)?;
        ctx.out.array(names.len());
        for name in names {
            ctx.out.bulk(name.as_bytes());
        }
    } else if is(sub, "getkeys") || is(sub, "getkeysandflags") {
        getkeys(ctx, args.tail(2), is(sub, "getkeysandflags"))?;
    } else if is(sub, "help") {
        help(ctx);
    } else {
        return Err(unknown_subcommand("command", sub));
    }
    Ok(())
}

/// One command's `COMMAND INFO` entry.
fn write_info(out: &mut Reply<'_>, spec: &CommandSpec) {
    out.array(10);
    out.bulk(spec.name.as_bytes());
    out.int(spec.arity as i64);
    let flags = spec.shown_flags().names();
    out.set(flags.len());
    for flag in flags {
        out.simple(flag);
    }
    out.int(spec.first_key as i64);
    out.int(spec.last_key as i64);
    out.int(spec.step as i64);
    let categories = categories(spec);
    out.set(categories.len());
    for category in categories {
        out.simple(&format!("@{category}"));
    }
    let tips: Vec<&str> = spec.tips.split_whitespace().collect();
    out.set(tips.len());
    for tip in tips {
        out.bulk(tip.as_bytes());
    }
    out.set(spec.key_specs.len());
    for key_spec in spec.key_specs {
        write_key_spec(out, key_spec);
    }
    if spec.subcommands.is_empty() {
        out.set(0);
    } else {
        let subs = spec.registered_subcommands();
        out.array(subs.len());
        for sub in subs {
            write_info(out, sub);
        }
    }
}

fn write_key_spec(out: &mut Reply<'_>, key_spec: &KeySpec) {
    out.map(if key_spec.notes.is_empty() { 3 } else { 4 });
    if !key_spec.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(key_spec.notes.as_bytes());
    }
    out.bulk(b"flags");
    let flags = key_spec.flag_names();
    out.set(flags.len());
    for flag in flags {
        out.simple(flag);
    }
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match key_spec.begin {
        Begin::Index(index) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(index as i64);
        }
        Begin::Keyword { keyword, start } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(start as i64);
        }
        Begin::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    let fields = match key_spec.find {
        Find::Range { last, step, limit } => {
            out.bulk(b"range");
            [("lastkey", last), ("keystep", step), ("limit", limit)]
        }
        Find::KeyNum { index, first, step } => {
            out.bulk(b"keynum");
            [("keynumidx", index), ("firstkey", first), ("keystep", step)]
        }
        Find::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
            return;
        }
    };
    out.bulk(b"spec");
    out.map(3);
    for (name, value) in fields {
        out.bulk(name.as_bytes());
        out.int(value as i64);
    }
}

/// One command's `COMMAND DOCS` entry: a map of the fields it has, in
/// Redis's order.
fn write_docs(out: &mut Reply<'_>, spec: &CommandSpec) {
    let doc = &spec.doc;
    let doc_flags = doc.flags();
    let texts = [("summary", doc.summary), ("since", doc.since), ("group", doc.group), ("complexity", doc.complexity)];
    let later = [("deprecated_since", doc.deprecated_since), ("replaced_by", doc.replaced_by)];
    let present =
        |fields: &[(&str, &str)]| fields.iter().filter(|(name, value)| *name == "group" || !value.is_empty()).count();
    out.map(
        present(&texts)
            + present(&later)
            + usize::from(!doc_flags.is_empty())
            + usize::from(!doc.history.is_empty())
            + usize::from(!doc.args.is_empty())
            + usize::from(!spec.subcommands.is_empty()),
    );
    for (name, value) in texts {
        if name == "group" || !value.is_empty() {
            out.bulk(name.as_bytes());
            out.bulk(value.as_bytes());
        }
    }
    if !doc_flags.is_empty() {
        out.bulk(b"doc_flags");
        write_simple_set(out, &doc_flags);
    }
    for (name, value) in later {
        if !value.is_empty() {
            out.bulk(name.as_bytes());
            out.bulk(value.as_bytes());
        }
    }
    if !doc.history.is_empty() {
        out.bulk(b"history");
        out.set(doc.history.len());
        for (version, change) in doc.history {
            out.array(2);
            out.bulk(version.as_bytes());
            out.bulk(change.as_bytes());
        }
    }
    if !doc.args.is_empty() {
        out.bulk(b"arguments");
        write_args(out, doc.args);
    }
    if !spec.subcommands.is_empty() {
        let subs = spec.registered_subcommands();
        out.bulk(b"subcommands");
        out.map(subs.len());
        for sub in subs {
            out.bulk(sub.name.as_bytes());
            write_docs(out, sub);
        }
    }
}

fn write_simple_set(out: &mut Reply<'_>, items: &[&str]) {
    out.set(items.len());
    for item in items {
        out.simple(item);
    }
}

/// An argument list of `COMMAND DOCS`: one map per argument.
fn write_args(out: &mut Reply<'_>, args: &[Arg]) {
    out.array(args.len());
    for arg in args {
        let flags = arg.flags();
        let parts = match arg.kind {
            ArgKind::OneOf(parts) | ArgKind::Block(parts) => Some(parts),
            _ => None,
        };
        let key_spec = match arg.kind {
            ArgKind::Key(index) | ArgKind::KeyPattern(index) => Some(index),
            _ => None,
        };
        let texts = [("token", arg.token), ("since", arg.since), ("deprecated_since", arg.deprecated_since)];
        // A pure token always has its token, even the empty one
        // (`MIGRATE`'s `""`).
        let pure = matches!(arg.kind, ArgKind::PureToken);
        let texts: Vec<(&str, &str)> =
            texts.into_iter().filter(|(name, value)| !value.is_empty() || (pure && *name == "token")).collect();
        out.map(
            2 + usize::from(key_spec.is_some())
                + texts.len()
                + usize::from(!flags.is_empty())
                + usize::from(parts.is_some()),
        );
        out.bulk(b"name");
        out.bulk(arg.name.as_bytes());
        out.bulk(b"type");
        out.bulk(arg.kind.name().as_bytes());
        if let Some(index) = key_spec {
            out.bulk(b"key_spec_index");
            out.int(index as i64);
        }
        for (name, value) in texts {
            out.bulk(name.as_bytes());
            out.bulk(value.as_bytes());
        }
        if !flags.is_empty() {
            out.bulk(b"flags");
            write_simple_set(out, &flags);
        }
        if let Some(parts) = parts {
            out.bulk(b"arguments");
            write_args(out, parts);
        }
    }
}

/// `COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]`:
/// commands and subcommands by full name.
fn list(args: Args<'_>) -> Result<Vec<&'static str>, CmdError> {
    enum Filter<'a> {
        None,
        Module,
        Category(Option<&'static str>),
        Pattern(&'a [u8]),
    }
    let mut filter = Filter::None;
    let mut i = 2;
    while i < args.len() {
        if !(is(args.get(i), "filterby") && args.len() - 1 - i == 2) {
            return Err(CmdError::Syntax);
        }
        let (kind, value) = (args.get(i + 1), args.get(i + 2));
        filter = if is(kind, "module") {
            Filter::Module
        } else if is(kind, "aclcat") {
            Filter::Category(super::meta::CATEGORIES.iter().copied().find(|c| c.as_bytes().eq_ignore_ascii_case(value)))
        } else if is(kind, "pattern") {
            Filter::Pattern(value)
        } else {
            return Err(CmdError::Syntax);
        };
        i += 3;
    }
    let keep = |spec: &CommandSpec| match &filter {
        Filter::None => true,
        // Efis has no modules.
        Filter::Module => false,
        Filter::Category(category) => category.is_some_and(|c| categories(spec).contains(&c)),
        Filter::Pattern(pattern) => glob_match_nocase(pattern, spec.name.as_bytes()),
    };
    let mut names = Vec::new();
    for spec in all_commands() {
        if keep(spec) {
            names.push(spec.name);
        }
        names.extend(spec.registered_subcommands().iter().filter(|s| keep(s)).map(|s| s.name));
    }
    Ok(names)
}

/// Glob matching that ignores case, as `COMMAND LIST FILTERBY PATTERN`
/// does (names are lower-case).
fn glob_match_nocase(pattern: &[u8], name: &[u8]) -> bool {
    glob_match(&pattern.to_ascii_lowercase(), name)
}

/// `COMMAND GETKEYS|GETKEYSANDFLAGS command arg...`.
fn getkeys(ctx: &mut Ctx<'_>, target: Args<'_>, with_flags: bool) -> CmdResult {
    let base = lookup(target.get(0));
    let spec = match base {
        Some(base) if !base.subcommands.is_empty() && target.len() > 1 => base.subcommand(target.get(1)),
        other => other,
    };
    let Some(spec) = spec else {
        return Err(CmdError::Static("ERR Invalid command specified"));
    };
    if spec.key_specs.iter().all(|k| k.bits & KEY_NOT_KEY != 0) {
        return Err(CmdError::Static("ERR The command has no key arguments"));
    }
    if !spec.arity_ok(target.len()) {
        return Err(CmdError::Static("ERR Invalid number of arguments specified for command"));
    }
    let keys = find_keys(spec, target);
    if keys.is_empty() && !spec.flags.contains(Flags::NO_MANDATORY_KEYS) {
        return Err(CmdError::Static("ERR Invalid arguments specified for command"));
    }
    ctx.out.array(keys.len());
    for key in keys.iter() {
        if with_flags {
            ctx.out.array(2);
            ctx.out.bulk(target.get(key.position));
            let flags = key_flag_names_of(key.bits);
            ctx.out.set(flags.len());
            for flag in flags {
                ctx.out.simple(flag);
            }
        } else {
            ctx.out.bulk(target.get(key.position));
        }
    }
    Ok(())
}

fn help(ctx: &mut Ctx<'_>) {
    const LINES: &[&str] = &[
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(LINES.len());
    for line in LINES {
        ctx.out.simple(line);
    }
}
