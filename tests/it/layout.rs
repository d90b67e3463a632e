//! The shape of the source tree, checked: each module of `src/` looks only
//! down (no import circle between two of them), and no Rust file of `src/`,
//! `tests/` or `fuzz/fuzz_targets/` is over 900 lines or fails to open with
//! a `//!` doc saying what it owns.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 900;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file of `src/` belongs to (`cmd` for
/// `src/cmd/zset.rs`, `pubsub` for `src/pubsub.rs`); `None` for the crate
/// roots.
fn module_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src_dir()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The names after `crate::` in `text`, including those in a
/// `crate::{a, b::c}` group; comment lines are skipped.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    names.insert(item.trim().split("::").next().unwrap_or("").to_string());
                }
            } else {
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                names.insert(rest[..end].to_string());
            }
        }
    }
    names
}

/// Module → the modules it names, with one file that does for each.
fn module_graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f)).collect();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for file in &files {
        let Some(from) = module_of(file) else { continue };
        let text = fs::read_to_string(file).expect("read a source file");
        let edges = graph.entry(from.clone()).or_default();
        for to in crate_paths(&text) {
            if to != from && modules.contains(&to) {
                edges.entry(to).or_insert_with(|| file.clone());
            }
        }
    }
    graph
}

/// A circle through `start`, if any, as the list of modules on it.
fn circle_from(graph: &BTreeMap<String, BTreeMap<String, PathBuf>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in graph.get(&at).into_iter().flat_map(|edges| edges.keys()) {
            if next == start {
                let mut circle = path.clone();
                circle.push(next.clone());
                return Some(circle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_import_circle_spans_two_modules() {
    let graph = module_graph();
    assert!(graph.contains_key("cmd") && graph.contains_key("server"), "the graph was read: {graph:?}");
    for module in graph.keys() {
        if let Some(circle) = circle_from(&graph, module) {
            let steps: Vec<String> = circle
                .windows(2)
                .map(|pair| format!("{} -> {} (in {})", pair[0], pair[1], graph[&pair[0]][&pair[1]].display()))
                .collect();
            panic!("an import circle: {}", steps.join(", "));
        }
    }
}

#[test]
fn the_layers_look_only_down() {
    let graph = module_graph();
    let uses = |from: &str, to: &str| graph.get(from).is_some_and(|edges| edges.contains_key(to));
    for low in ["protocol", "store", "config", "clock"] {
        for high in ["pubsub", "persist", "state", "cmd", "server"] {
            assert!(!uses(low, high), "{low} must not use {high}");
        }
    }
    for above_state in ["cmd", "server"] {
        assert!(!uses("state", above_state), "state must not use {above_state}");
        assert!(!uses("persist", above_state), "persist must not use {above_state}");
    }
    assert!(!uses("cmd", "server"), "commands must not use the loop");
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into(), PathBuf::from("a.rs"));
    graph.entry("b".into()).or_default().insert("c".into(), PathBuf::from("b.rs"));
    graph.entry("c".into()).or_default().insert("a".into(), PathBuf::from("c.rs"));
    assert_eq!(circle_from(&graph, "a"), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    graph.get_mut("c").unwrap().clear();
    assert_eq!(circle_from(&graph, "a"), None);
    assert_eq!(crate_paths("use crate::{a::X, b};\n// crate::z\nlet v = crate::c::f();"), {
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect::<BTreeSet<_>>()
    });
}

#[test]
fn source_files_are_short_and_say_what_they_own() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for (dir, more_than) in [("src", 20), ("tests", 20), ("fuzz/fuzz_targets", 0)] {
        let before = files.len();
        rust_files(&root.join(dir), &mut files);
        let found = files.len() - before;
        assert!(found > more_than, "only {found} Rust files were found under {dir}/");
    }
    let mut problems = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("read a source file");
        let lines = text.lines().count();
        if lines > MAX_LINES {
            problems.push(format!("{} has {lines} lines (at most {MAX_LINES})", file.display()));
        }
        if !text.trim_start().starts_with("//!") {
            problems.push(format!("{} does not open with a //! doc", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
