//! The on-disk formats shared by the append-only log and the snapshots:
//! the 32-byte file header, checksummed frames, and the commands inside a
//! frame. Pure encoding and decoding; what to do about a bad frame is the
//! caller's decision (see `persist::load`).
//!
//! ```text
//! file    = header frame*
//! header  = magic[8] version:u32 generation:u64 time_ms:i64 crc32(previous 28 bytes):u32
//! frame   = len:u32 crc32(len):u32 crc32(payload):u32 payload[len]
//! payload = kind:u8 time_ms:i64 body
//!   kind 1 (commands): count:u32 { db:u32 argc:u32 { len:u32 bytes[len] }* }*
//!   kind 2 (end of snapshot): keys:u64
//! ```
//!
//! `magic` is `EFIS-AOF` in a log and `EFIS-SNP` in a snapshot; `version`
//! is [`FORMAT_VERSION`] (1). A log's `generation` is its own number; a
//! snapshot's is the first log generation not in it. All integers are
//! little-endian, and the checksums are CRC32 (IEEE, as `crc32fast`
//! computes it). The length has its own checksum, so a damaged length is
//! told apart from a frame cut short by a crash.
//!
//! Anything written to disk is versioned and numbered explicitly: the
//! magic, the version and the frame kinds ([`KIND_COMMANDS`],
//! [`KIND_END`]) are frozen values. A file of a newer version is refused,
//! never guessed at. The end frame of a snapshot is [`END_FRAME_LEN`]
//! (29) bytes, so start-up can read a snapshot's key count from its tail
//! before loading it.

use std::io::{self, Read};

/// Magic of an append-only log file.
pub const AOF_MAGIC: &[u8; 8] = b"EFIS-AOF";
/// Magic of a snapshot file.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"EFIS-SNP";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
pub const HEADER_LEN: usize = 32;
pub const FRAME_HEADER_LEN: usize = 12;
/// Frame kinds.
pub const KIND_COMMANDS: u8 = 1;
pub const KIND_END: u8 = 2;
/// Bytes of a payload before its body: kind and time.
const PAYLOAD_PREFIX: usize = 9;
/// Bytes of a whole end-of-snapshot frame, the last of every snapshot.
pub const END_FRAME_LEN: usize = FRAME_HEADER_LEN + PAYLOAD_PREFIX + 8;

/// What a file header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    /// The log generation: a log file's own number; for a snapshot, the
    /// first log generation that is not in it.
    pub generation: u64,
    pub time_ms: i64,
}

/// Why a header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    TooShort,
    BadMagic,
    BadChecksum,
    NewerVersion(u32),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::TooShort => write!(f, "the file is shorter than its header"),
            HeaderError::BadMagic => write!(f, "not an efis file (wrong magic)"),
            HeaderError::BadChecksum => write!(f, "bad header checksum"),
            HeaderError::NewerVersion(v) => {
                write!(f, "format version {v} is newer than this efis reads ({FORMAT_VERSION}); use a newer efis")
            }
        }
    }
}

pub fn encode_header(magic: &[u8; 8], generation: u64, time_ms: i64) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..8].copy_from_slice(magic);
    out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    out[12..20].copy_from_slice(&generation.to_le_bytes());
    out[20..28].copy_from_slice(&time_ms.to_le_bytes());
    let crc = crc32fast::hash(&out[..28]);
    out[28..].copy_from_slice(&crc.to_le_bytes());
    out
}

pub fn decode_header(magic: &[u8; 8], bytes: &[u8]) -> Result<Header, HeaderError> {
    if bytes.len() < HEADER_LEN {
        return Err(HeaderError::TooShort);
    }
    if &bytes[..8] != magic {
        return Err(HeaderError::BadMagic);
    }
    if crc32fast::hash(&bytes[..28]) != u32_at(bytes, 28) {
        return Err(HeaderError::BadChecksum);
    }
    let version = u32_at(bytes, 8);
    if version > FORMAT_VERSION || version == 0 {
        return Err(HeaderError::NewerVersion(version));
    }
    Ok(Header { version, generation: u64_at(bytes, 12), time_ms: u64_at(bytes, 20) as i64 })
}

/// CRC-32 (IEEE, as `crc32fast`) of the four little-endian bytes of a
/// frame length, by table: cheaper than a general hasher for four bytes.
fn length_crc(len: u32) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for byte in len.to_le_bytes() {
        crc = TABLE[((crc ^ byte as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Builds frames in a byte buffer: `begin`, any number of `command`s,
/// `end`. Several frames may follow each other in one buffer.
pub struct FrameBuilder;

impl FrameBuilder {
    /// Starts a frame at the end of `buf`; returns where it starts.
    pub fn begin(buf: &mut Vec<u8>, kind: u8, time_ms: i64) -> usize {
        let start = buf.len();
        buf.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
        buf.push(kind);
        buf.extend_from_slice(&time_ms.to_le_bytes());
        if kind == KIND_COMMANDS {
            buf.extend_from_slice(&0u32.to_le_bytes());
        }
        start
    }

    /// Adds one command to the commands frame starting at `start`.
    pub fn command<'a>(buf: &mut Vec<u8>, start: usize, db: usize, args: impl ExactSizeIterator<Item = &'a [u8]>) {
        let count_at = start + FRAME_HEADER_LEN + PAYLOAD_PREFIX;
        let count = u32_at(buf, count_at) + 1;
        buf[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
        buf.extend_from_slice(&(db as u32).to_le_bytes());
        buf.extend_from_slice(&(args.len() as u32).to_le_bytes());
        for arg in args {
            buf.extend_from_slice(&(arg.len() as u32).to_le_bytes());
            buf.extend_from_slice(arg);
        }
    }

    /// The number of commands in the frame starting at `start`.
    pub fn count(buf: &[u8], start: usize) -> u32 {
        u32_at(buf, start + FRAME_HEADER_LEN + PAYLOAD_PREFIX)
    }

    /// Finishes the frame starting at `start`: fills in its length and
    /// checksums.
    pub fn end(buf: &mut [u8], start: usize) {
        let payload_start = start + FRAME_HEADER_LEN;
        let len = (buf.len() - payload_start) as u32;
        let len_bytes = len.to_le_bytes();
        let payload_crc = crc32fast::hash(&buf[payload_start..]);
        buf[start..start + 4].copy_from_slice(&len_bytes);
        buf[start + 4..start + 8].copy_from_slice(&length_crc(len).to_le_bytes());
        buf[start + 8..start + 12].copy_from_slice(&payload_crc.to_le_bytes());
    }

    /// Appends a complete end-of-snapshot frame.
    pub fn end_of_snapshot(buf: &mut Vec<u8>, time_ms: i64, keys: u64) {
        let start = FrameBuilder::begin(buf, KIND_END, time_ms);
        buf.extend_from_slice(&keys.to_le_bytes());
        FrameBuilder::end(buf, start);
    }
}

/// A decoded frame payload.
#[derive(Debug)]
pub enum Payload {
    /// Commands: `(db, spans)` each, spans into the payload bytes.
    Commands {
        time_ms: i64,
        commands: Vec<(usize, Vec<(usize, usize)>)>,
    },
    End {
        time_ms: i64,
        keys: u64,
    },
}

/// Decodes a payload whose checksum matched. Every length is checked
/// against the bytes present, so nothing is allocated beyond what the
/// input justifies.
pub fn decode_payload(payload: &[u8]) -> Result<Payload, &'static str> {
    if payload.len() < PAYLOAD_PREFIX {
        return Err("frame payload too short");
    }
    let time_ms = u64_at(payload, 1) as i64;
    let mut at = PAYLOAD_PREFIX;
    match payload[0] {
        KIND_END => {
            if payload.len() != at + 8 {
                return Err("end frame of the wrong size");
            }
            Ok(Payload::End { time_ms, keys: u64_at(payload, at) })
        }
        KIND_COMMANDS => {
            let take_u32 = |at: &mut usize| -> Result<usize, &'static str> {
                if payload.len() < *at + 4 {
                    return Err("frame ends inside a length");
                }
                let value = u32_at(payload, *at) as usize;
                *at += 4;
                Ok(value)
            };
            let count = take_u32(&mut at)?;
            // Each command takes at least 8 bytes.
            if count > (payload.len() - at) / 8 {
                return Err("command count larger than the frame");
            }
            let mut commands = Vec::with_capacity(count);
            for _ in 0..count {
                let db = take_u32(&mut at)?;
                let argc = take_u32(&mut at)?;
                if argc == 0 || argc > (payload.len() - at) / 4 {
                    return Err("argument count does not fit the frame");
                }
                let mut spans = Vec::with_capacity(argc);
                for _ in 0..argc {
                    let len = take_u32(&mut at)?;
                    if len > payload.len() - at {
                        return Err("argument longer than the frame");
                    }
                    spans.push((at, at + len));
                    at += len;
                }
                commands.push((db, spans));
            }
            if at != payload.len() {
                return Err("bytes left over after the last command");
            }
            Ok(Payload::Commands { time_ms, commands })
        }
        _ => Err("unknown frame kind"),
    }
}

/// Why reading a frame stopped.
#[derive(Debug)]
pub enum FrameError {
    /// The file ends inside this frame, or the last frame's checksum fails
    /// (or only zeros follow): what a crash in the middle of a write
    /// leaves.
    Torn {
        offset: u64,
        reason: &'static str,
    },
    /// A damaged frame with more data after it.
    Corrupt {
        offset: u64,
        reason: &'static str,
    },
    Io(io::Error),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Torn { offset, reason } => write!(f, "incomplete final record at byte {offset} ({reason})"),
            FrameError::Corrupt { offset, reason } => write!(f, "damaged record at byte {offset} ({reason})"),
            FrameError::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

/// Reads frames one by one from a file of known length, after its header.
pub struct FrameReader<R> {
    inner: R,
    /// Offset of the next frame.
    offset: u64,
    len: u64,
    payload: Vec<u8>,
}

impl<R: Read> FrameReader<R> {
    /// `inner` is positioned at `offset` of a file `len` bytes long.
    pub fn new(inner: R, offset: u64, len: u64) -> FrameReader<R> {
        FrameReader { inner, offset, len, payload: Vec::new() }
    }

    /// Offset of the next frame (after the last good one).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next frame's payload, checksum verified; `None` at the end.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        let remaining = self.len - self.offset;
        if remaining == 0 {
            return Ok(None);
        }
        let offset = self.offset;
        if remaining < FRAME_HEADER_LEN as u64 {
            return Err(FrameError::Torn { offset, reason: "the file ends inside a record header" });
        }
        let mut header = [0u8; FRAME_HEADER_LEN];
        self.inner.read_exact(&mut header).map_err(FrameError::Io)?;
        let len = u32_at(&header, 0);
        if length_crc(len) != u32_at(&header, 4) {
            let zero = header.iter().all(|&b| b == 0);
            return Err(self.damaged(offset, FRAME_HEADER_LEN as u64, zero, "bad length checksum"));
        }
        let after_header = remaining - FRAME_HEADER_LEN as u64;
        if len as u64 > after_header {
            return Err(FrameError::Torn { offset, reason: "the file ends inside a record" });
        }
        self.payload.clear();
        self.payload.resize(len as usize, 0);
        self.inner.read_exact(&mut self.payload).map_err(FrameError::Io)?;
        if crc32fast::hash(&self.payload) != u32_at(&header, 8) {
            let consumed = FRAME_HEADER_LEN as u64 + len as u64;
            if len as u64 == after_header {
                return Err(FrameError::Torn { offset, reason: "bad checksum in the final record" });
            }
            return Err(self.damaged(offset, consumed, false, "bad checksum"));
        }
        self.offset += FRAME_HEADER_LEN as u64 + len as u64;
        Ok(Some(&self.payload))
    }

    /// Whether the next `limit` bytes are all zeros (read in chunks, so a
    /// huge damaged file costs no memory).
    fn only_zeros_left(&mut self, limit: u64) -> bool {
        let mut rest = (&mut self.inner).take(limit);
        let mut chunk = [0u8; 8192];
        loop {
            match rest.read(&mut chunk) {
                Ok(0) => return true,
                Ok(n) if chunk[..n].iter().all(|&b| b == 0) => {}
                Ok(_) => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    /// A bad frame at `offset`: torn if nothing but zeros follows it (a
    /// crash after the file grew but before its data landed), damaged
    /// otherwise. `consumed` bytes of it were read already, all zeros if
    /// `zero_so_far`.
    fn damaged(&mut self, offset: u64, consumed: u64, zero_so_far: bool, reason: &'static str) -> FrameError {
        if zero_so_far && self.only_zeros_left(self.len - offset - consumed) {
            return FrameError::Torn { offset, reason: "only zeros follow" };
        }
        FrameError::Corrupt { offset, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(commands: &[&[&[u8]]]) -> Vec<u8> {
        let mut buf = Vec::new();
        let start = FrameBuilder::begin(&mut buf, KIND_COMMANDS, 42);
        for command in commands {
            FrameBuilder::command(&mut buf, start, 3, command.iter().copied());
        }
        FrameBuilder::end(&mut buf, start);
        buf
    }

    #[test]
    fn frames_round_trip() {
        let mut file = frame(&[&[b"SET", b"k", b"v"], &[b"DEL", b""]]);
        FrameBuilder::end_of_snapshot(&mut file, 43, 7);
        let len = file.len() as u64;
        let mut reader = FrameReader::new(&file[..], 0, len);
        let payload = reader.next_frame().unwrap().unwrap().to_vec();
        match decode_payload(&payload).unwrap() {
            Payload::Commands { time_ms, commands } => {
                assert_eq!(time_ms, 42);
                assert_eq!(commands.len(), 2);
                assert_eq!(commands[0].0, 3);
                let (s, e) = commands[0].1[2];
                assert_eq!(&payload[s..e], b"v");
                assert_eq!(commands[1].1[1].0, commands[1].1[1].1);
            }
            other => panic!("{other:?}"),
        }
        let payload = reader.next_frame().unwrap().unwrap().to_vec();
        assert!(matches!(decode_payload(&payload).unwrap(), Payload::End { time_ms: 43, keys: 7 }));
        assert!(reader.next_frame().unwrap().is_none());
    }

    #[test]
    fn cut_short_is_torn_and_flipped_bit_is_corrupt() {
        let one = frame(&[&[b"SET", b"k", b"v"]]);
        let mut two = one.clone();
        two.extend_from_slice(&one);
        for cut in 1..one.len() {
            let bytes = &two[..one.len() + cut];
            let mut reader = FrameReader::new(bytes, 0, bytes.len() as u64);
            assert!(reader.next_frame().unwrap().is_some());
            assert!(matches!(reader.next_frame(), Err(FrameError::Torn { offset, .. }) if offset == one.len() as u64));
        }
        for bit in 0..one.len() * 8 {
            let mut bytes = two.clone();
            bytes[bit / 8] ^= 1 << (bit % 8);
            let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
            let result = reader.next_frame();
            assert!(
                matches!(result, Err(FrameError::Corrupt { offset: 0, .. })),
                "bit {bit}: {:?}",
                result.map(|p| p.map(<[u8]>::len))
            );
        }
    }

    #[test]
    fn zeros_after_the_last_frame_are_torn() {
        let mut bytes = frame(&[&[b"SET", b"k", b"v"]]);
        let good = bytes.len() as u64;
        bytes.extend_from_slice(&[0u8; 100]);
        let mut reader = FrameReader::new(&bytes[..], 0, bytes.len() as u64);
        assert!(reader.next_frame().unwrap().is_some());
        assert!(matches!(reader.next_frame(), Err(FrameError::Torn { offset, .. }) if offset == good));
    }

    #[test]
    fn length_crc_is_crc32() {
        for len in [0u32, 1, 255, 256, 65_536, 0xdead_beef, u32::MAX] {
            assert_eq!(length_crc(len), crc32fast::hash(&len.to_le_bytes()), "{len}");
        }
    }

    #[test]
    fn headers() {
        let header = encode_header(AOF_MAGIC, 9, 1234);
        assert_eq!(decode_header(AOF_MAGIC, &header), Ok(Header { version: 1, generation: 9, time_ms: 1234 }));
        assert_eq!(decode_header(SNAPSHOT_MAGIC, &header), Err(HeaderError::BadMagic));
        assert_eq!(decode_header(AOF_MAGIC, &header[..10]), Err(HeaderError::TooShort));
        let mut newer = header;
        newer[8] = 2;
        let crc = crc32fast::hash(&newer[..28]);
        newer[28..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(decode_header(AOF_MAGIC, &newer), Err(HeaderError::NewerVersion(2)));
        let mut flipped = header;
        flipped[15] ^= 4;
        assert_eq!(decode_header(AOF_MAGIC, &flipped), Err(HeaderError::BadChecksum));
    }

    #[test]
    fn hostile_payloads_are_refused() {
        for payload in [
            &[1u8, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255][..],
            &[1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[9, 0, 0, 0, 0, 0, 0, 0, 0],
            &[1, 0],
        ] {
            assert!(decode_payload(payload).is_err());
        }
    }
}
