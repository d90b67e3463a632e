//! The ACL file (`ACLFILE`, `--aclfile`): one `user <name> <rules...>`
//! line per user, as `ACL LIST` prints them; blank lines and lines
//! starting with `#` are skipped. Loading is all or nothing; saving
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

/// Reads and checks the file: every user, or Redis-style error lines.
pub fn load(path: &Path, catalog: &Catalog) -> Result<Vec<User>, String> {
    let text =
        std::fs::read(path).map_err(|e| format!("Error loading ACLs, opening file '{}': {e}", path.display()))?;
    let mut users: Vec<User> = Vec::new();
    let mut errors = String::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let words: Vec<&[u8]> = line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect();
        if words.is_empty() || words[0].starts_with(b"#") {
            continue;
        }
        let at = format!("{}:{}", path.display(), index + 1);
        if words.len() < 2 || !words[0].eq_ignore_ascii_case(b"user") {
            errors.push_str(&format!("{at}: line should start with user keyword. "));
            continue;
        }
        if users.iter().any(|u| u.name == words[1]) {
            errors.push_str(&format!("{at}: Duplicate user '{}' found. ", String::from_utf8_lossy(words[1])));
            continue;
        }
        match User::new(words[1]).apply_all(catalog, &words[2..]) {
            Ok(user) => users.push(user),
            Err(err) => errors.push_str(&format!("{at}: {}. ", err.trim_start_matches("ERR "))),
        }
    }
    if !errors.is_empty() {
        return Err(errors.trim_end().to_string());
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
