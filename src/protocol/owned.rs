//! Argument lists that outlive the read buffer they were parsed from: a
//! command queued by `MULTI`, or held by a blocked client until a key it
//! waits on is written.

use super::Args;

/// A command's arguments copied out of the read buffer into one
/// allocation for the bytes and one for the spans.
#[derive(Debug, Clone, Default)]
pub struct OwnedArgs {
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl OwnedArgs {
    pub fn new(args: Args<'_>) -> OwnedArgs {
        let mut owned = OwnedArgs {
            data: Vec::with_capacity(args.iter().map(<[u8]>::len).sum()),
            spans: Vec::with_capacity(args.len()),
        };
        for arg in args.iter() {
            let start = owned.data.len();
            owned.data.extend_from_slice(arg);
            owned.spans.push((start, owned.data.len()));
        }
        owned
    }

    /// The arguments `parts` (command name first), copied: a command the
    /// server makes itself.
    pub fn from_parts(parts: &[&[u8]]) -> OwnedArgs {
        let mut owned = OwnedArgs::default();
        for part in parts {
            let start = owned.data.len();
            owned.data.extend_from_slice(part);
            owned.spans.push((start, owned.data.len()));
        }
        owned
    }

    /// The arguments, borrowed as if freshly parsed.
    pub fn args(&self) -> Args<'_> {
        Args::new(&self.data, &self.spans)
    }
}
