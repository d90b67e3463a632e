//! The ACL file (`ACLFILE`, `--aclfile`): one `user <name> <rules...>`
//! line per user, as `ACL LIST` prints them, words separated by single
//! spaces; blank lines are skipped (Redis 7.0 has no comments). Loading is all or nothing; saving
//! writes a temporary file beside it, fsyncs it and renames it over the
//! old one, so a crash leaves either the old or the new file.
//!
//! Invariant: a file that loads has no duplicate user and every rule
//! valid; the `default` user is added (as Redis's start-up one) when the
//! file does not define it.

use std::io::Write;
use std::path::Path;

use super::catalog::Catalog;
use super::user::User;

/// Reads and checks the file: every user, or Redis's error text (each
/// problem with its line, then that nothing was changed).
pub fn load(path: &Path, catalog: &Catalog) -> Result<Vec<User>, String> {
    let text =
        std::fs::read(path).map_err(|e| format!("Error loading ACLs, opening file '{}': {e}", path.display()))?;
    let shown = path.display();
    let mut users: Vec<User> = Vec::new();
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut errors = String::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let line_number = index + 1;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if words.len() < 2 || words[0] != b"user" {
            errors
                .push_str(&format!("{shown}:{line_number} should start with user keyword followed by the username. "));
            continue;
        }
        let name = words[1];
        // A name counts as defined from its line on, even if its rules fail.
        if seen.contains(&name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {line_number}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        seen.push(name);
        match User::new(name).apply_all(catalog, &words[2..]) {
            Ok(user) => users.push(user),
            Err(err) => {
                let err = err.trim_start_matches("ERR ");
                errors.push_str(&match err.split_once("': ") {
                    Some((rule, why)) if err.starts_with("Error in ACL SETUSER modifier '") => {
                        let rule = rule.trim_start_matches("Error in ACL SETUSER modifier '");
                        if why == super::selector::RuleError::UnknownCommand.text() {
                            format!("{shown}:{line_number}: Error in applying operation '{rule}': {why}. ")
                        } else {
                            format!("{shown}:{line_number}: {why}. ")
                        }
                    }
                    _ => format!("{shown}:{line_number}: Unmatched parenthesis in selector definition."),
                });
            }
        }
    }
    if !errors.is_empty() {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        return Err(errors);
    }
    if !users.iter().any(|u| u.name == b"default") {
        users.push(User::new_default());
    }
    Ok(users)
}

/// Writes every user's line atomically.
pub fn save(path: &Path, lines: &[String]) -> std::io::Result<()> {
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = std::path::PathBuf::from(temp_name);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        for line in lines {
            file.write_all(line.as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}
