//! pcapng files that open in Wireshark: a session's traffic as the packets it would have been on the
//! wire, written live like the capture (the command line's `--pcap FILE`, and the window's recording
//! behind Log → Export as pcapng).
//!
//! A program that sees only its sockets cannot capture packets; it can say what went over each
//! connection. So the packets are made from the engine's events ([`packets`]): each TCP connection a TCP
//! stream (handshake, data with continuous sequence and acknowledgement numbers, FIN or RST as it closed),
//! each UDP datagram a UDP packet, IPv4 and IPv6, at the events' times. Wireshark's "Follow TCP Stream"
//! then shows each conversation, byte for byte. The file ([`file`]) says so in its section header, and
//! names each session (its mode and addresses) in an interface of its own.
//!
//! The file is written to be read back: every packet is a complete IPv4 or IPv6 packet with its
//! payload, so the conversation can be rebuilt from it ([`read`], which also reads Wireshark's files):
//! what `netassist replay` sends and expects.

mod file;
pub mod packets;
pub mod read;

use std::path::Path;

pub use file::{SECTION_HEADER, export};

use crate::recording::{Kind, Recording, RecordingError};

/// How a pcapng recording writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PcapOptions {
    /// Stop once the file has reached this many bytes (the entry that crossed the line is the last in
    /// it): the recording then ends with a [`LimitReached`](crate::recording::LimitReached) error, and
    /// the file holds everything before. `None` for no limit.
    pub limit: Option<u64>,
}

/// Starts a pcapng recording to `path`: creates (or truncates) the file, writes its section header, and
/// writes the packets of every entry queued with [`Recording::session`] and [`Recording::record`], on a
/// thread of its own. A path that cannot be written fails here.
pub fn start(path: &Path, options: PcapOptions) -> Result<Recording, RecordingError> {
    Recording::start(Kind::Pcapng, path, |file| {
        file::Writer::new(path, file, options)
    })
}
