//! What went over the wire beneath a TLS connection, for the record: where the bytes fed to rustls stand
//! among TLS records ([`Records`], to tell a FIN in the middle of a record from one at a boundary), and
//! the raw bytes of a handshake while it lasts ([`Transcript`], put in the record when it fails).

use std::io::{self, Write};
use std::time::SystemTime;

use crate::engine::Direction;

/// The length of a TLS record's header: content type (1 byte), version (2), length (2).
const HEADER: usize = 5;

/// Where the peer's bytes stand among TLS records: each is a [`HEADER`]-byte header then as many bytes
/// as its length says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Records {
    /// The current record's header, as far as it came.
    header: [u8; HEADER],
    /// How much of the header came.
    header_len: usize,
    /// Bytes of the current record's body still to come (once its header is whole).
    body_left: usize,
    /// Bytes of the current record that came: 0 at a record boundary.
    unfinished: usize,
}

impl Records {
    /// Follows `bytes`, the next the peer sent.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = if self.header_len < HEADER {
                let take = (HEADER - self.header_len).min(bytes.len());
                self.header[self.header_len..self.header_len + take]
                    .copy_from_slice(&bytes[..take]);
                self.header_len += take;
                if self.header_len == HEADER {
                    self.body_left =
                        usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                }
                take
            } else {
                let take = self.body_left.min(bytes.len());
                self.body_left -= take;
                take
            };
            bytes = &bytes[take..];
            self.unfinished += take;
            if self.header_len == HEADER && self.body_left == 0 {
                *self = Self::default();
            }
        }
    }

    /// Bytes of a record that began and did not end (its header and as much of its body as came); 0 at
    /// a record boundary.
    pub(crate) fn unfinished(&self) -> usize {
        self.unfinished
    }
}

/// The most raw bytes a handshake's transcript keeps: far more than a handshake takes (a few KiB with a
/// certificate chain), and than a peer that does not speak TLS gets to send before it is refused (its
/// first read, and what it sent before the connection was closed).
const TRANSCRIPT_MAX: usize = 256 * 1024;

/// One read or write of raw bytes during a handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawBytes {
    /// Read from the peer, or written by us.
    pub(crate) dir: Direction,
    /// The bytes, as read or written.
    pub(crate) bytes: Vec<u8>,
    /// When.
    pub(crate) at: SystemTime,
}

/// The raw bytes of a handshake, in the order they were read and written, up to [`TRANSCRIPT_MAX`].
#[derive(Debug, Default)]
pub(crate) struct Transcript {
    chunks: Vec<RawBytes>,
    kept: usize,
}

impl Transcript {
    /// Keeps `bytes` read or written now.
    pub(crate) fn keep(&mut self, dir: Direction, bytes: &[u8]) {
        let take = bytes.len().min(TRANSCRIPT_MAX - self.kept);
        if take > 0 {
            self.kept += take;
            self.chunks.push(RawBytes {
                dir,
                bytes: bytes[..take].to_vec(),
                at: SystemTime::now(),
            });
        }
    }

    /// The first bytes the peer sent, up to `n`.
    pub(crate) fn peer_first(&self, n: usize) -> Vec<u8> {
        let mut first = Vec::new();
        for chunk in self
            .chunks
            .iter()
            .filter(|chunk| chunk.dir == Direction::Rx)
        {
            first.extend_from_slice(&chunk.bytes[..chunk.bytes.len().min(n - first.len())]);
            if first.len() == n {
                break;
            }
        }
        first
    }

    /// The bytes kept, in order; the transcript is empty after.
    pub(crate) fn take(&mut self) -> Vec<RawBytes> {
        self.kept = 0;
        std::mem::take(&mut self.chunks)
    }
}

/// A writer that keeps in a [`Transcript`] what it writes to `stream`.
pub(crate) struct Keeping<'a, W> {
    pub(crate) stream: &'a mut W,
    pub(crate) transcript: &'a mut Transcript,
}

impl<W: Write> Write for Keeping<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.stream.write(buf)?;
        self.transcript.keep(Direction::Tx, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_followed_across_reads_of_any_size() {
        // Two records: 3 bytes of body, then an empty one, then 4 bytes of a record of 10.
        let stream = [
            23, 3, 3, 0, 3, 1, 2, 3, 21, 3, 3, 0, 0, 23, 3, 3, 0, 10, 9, 9, 9, 9,
        ];
        for split in 0..stream.len() {
            let mut records = Records::default();
            records.feed(&stream[..split]);
            records.feed(&stream[split..]);
            assert_eq!(records.unfinished(), 9, "split at {split}");
        }
        let mut records = Records::default();
        records.feed(&stream[..13]);
        assert_eq!(records.unfinished(), 0);
        records.feed(&stream[13..15]);
        assert_eq!(records.unfinished(), 2, "a header cut short counts");
    }

    #[test]
    fn a_transcript_keeps_the_peers_first_bytes_and_stops_at_its_limit() {
        let mut transcript = Transcript::default();
        transcript.keep(Direction::Tx, b"ours");
        transcript.keep(Direction::Rx, b"hel");
        transcript.keep(Direction::Rx, b"lo there");
        assert_eq!(transcript.peer_first(5), b"hello");
        transcript.keep(Direction::Rx, &vec![0; TRANSCRIPT_MAX]);
        let kept: usize = transcript.take().iter().map(|c| c.bytes.len()).sum();
        assert_eq!(kept, TRANSCRIPT_MAX);
        assert!(transcript.take().is_empty());
    }
}
