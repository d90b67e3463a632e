//! Where a replica's stream stood when it shut down: its primary's
//! replication ID and the offset it had applied, in
//! `BACKUP_PATH/replica-state`, so that after a restart it can ask for a
//! partial resynchronization (`PSYNC <replid> <offset+1>`) instead of the
//! whole data set, as Redis does with the replication fields of the RDB
//! file it saves at shutdown.
//!
//! # Invariants
//!
//! * The file is written only by a clean shutdown, after the log was
//!   flushed and synced: the data start-up recovers is exactly the stream
//!   up to that offset. Not while a replica is halfway through loading
//!   its primary's file (it has no offset of that stream yet), nor after
//!   a load whose snapshot is not written (the loaded keys are in no
//!   file).
//! * Start-up reads it once and deletes it before serving: a server that
//!   then crashes has applied more of the stream than the file says, so
//!   the file must not outlive the start that read it (the next start
//!   asks for a full resynchronization, which is always safe).
//! * Written atomically (temporary file, sync, rename, directory sync);
//!   a file that does not parse is ignored.

use std::io::Write;
use std::path::Path;

/// The file's name in `BACKUP_PATH`.
pub const NAME: &str = "replica-state";

/// Records `replid` and `offset` in `dir`.
pub fn save(dir: &Path, replid: &str, offset: u64) -> std::io::Result<()> {
    let temp = dir.join(format!("{NAME}.tmp"));
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(format!("{replid} {offset}\n").as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temp, dir.join(NAME))?;
    super::sync_dir(dir)
}

/// The replication ID and offset a clean shutdown left in `dir`, if any;
/// the file is deleted either way.
pub fn take(dir: &Path) -> Option<(String, u64)> {
    let path = dir.join(NAME);
    let text = std::fs::read_to_string(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    let _ = super::sync_dir(dir);
    let (replid, offset) = text.trim_end().split_once(' ')?;
    let valid = replid.len() == 40 && replid.bytes().all(|b| b.is_ascii_hexdigit());
    Some((replid.to_string(), offset.parse().ok()?)).filter(|_| valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_once_taken_once() {
        let dir = std::env::temp_dir().join(format!("efis-replica-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let replid = "0123456789abcdef0123456789abcdef01234567";
        save(&dir, replid, 1234).unwrap();
        assert_eq!(take(&dir), Some((replid.to_string(), 1234)));
        assert_eq!(take(&dir), None, "read once");
        std::fs::write(dir.join(NAME), "not a state\n").unwrap();
        assert_eq!(take(&dir), None);
        assert!(!dir.join(NAME).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
