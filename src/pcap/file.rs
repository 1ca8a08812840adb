//! The pcapng file: a section header saying where the file came from, one interface per session (its
//! mode and addresses), and each packet [`Synthesizer`] makes as an enhanced packet block, written live
//! by a [`Recording`](crate::recording::Recording)'s thread; and the copy of such a file that the window
//! exports, under a section header of its own.
//!
//! Blocks are written with `pcap-file`, little-endian, as the pcapng specification
//! (draft-ietf-opsawg-pcapng) lays them out. Packets are raw IP (`LINKTYPE_RAW`, 101): the MAC addresses
//! are not known to a program that sees only its sockets (loopback has none), and made-up ones would
//! read as evidence; raw IP carries IPv4 and IPv6 in one interface. Times are in nanoseconds
//! (`if_tsresol` 9).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::{DataLink, Endianness, PcapError};

use super::PcapOptions;
use super::packets::{MSS, Packets, Synthesizer};
use crate::i18n::{Lang, Text};
use crate::recording::{self, Entry, Kind, LimitReached, RecordingError};
use crate::traffic::Note;

/// The pcapng block type of a section header block, which starts every pcapng file.
pub const SECTION_HEADER: u32 = 0x0A0D_0D0A;

/// What the section header says about every file NetAssist writes.
fn about() -> String {
    format!(
        "Made by NetAssist from the events of its own sockets, not captured from a network interface. \
         Addresses, ports, payloads, their order and their times are as the sockets saw them; the IP and \
         TCP headers are made up around them: sequence numbers start at made-up values, each read or send \
         is one or more segments of at most {MSS} bytes acknowledged at once, and the handshake and the \
         close are placed at the times the connection opened and ended. On a TLS connection the \
         payloads are the decrypted application data, not the encrypted TLS records that went over the \
         wire: its first packet after the TLS handshake says so in its comment, with the TLS version, \
         cipher suite, server name and the server certificate's SHA-256 fingerprint."
    )
}

/// The section header: the application, the OS, what the file is, and `notes` (one comment each).
fn section_header(notes: &[String]) -> SectionHeaderBlock<'static> {
    let mut options = vec![
        SectionHeaderOption::UserApplication(Cow::Owned(format!(
            "NetAssist {}",
            env!("CARGO_PKG_VERSION")
        ))),
        SectionHeaderOption::OS(Cow::Owned(format!(
            "{} {}",
            std::env::consts::OS,
            std::env::consts::ARCH
        ))),
        SectionHeaderOption::Comment(Cow::Owned(about())),
    ];
    options.extend(
        notes
            .iter()
            .map(|note| SectionHeaderOption::Comment(Cow::Owned(note.clone()))),
    );
    SectionHeaderBlock {
        endianness: Endianness::Little,
        major_version: 1,
        minor_version: 0,
        section_length: -1,
        options,
    }
}

fn io_error(error: PcapError) -> io::Error {
    match error {
        PcapError::IoError(error) => error,
        other => io::Error::other(other),
    }
}

/// The pcapng recording's writer, on its thread.
pub(super) struct Writer {
    path: PathBuf,
    out: PcapNgWriter<BufWriter<File>>,
    options: PcapOptions,
    synthesizer: Synthesizer,
    packets: Packets,
    /// The interface of the session the events belong to, once its block is written.
    interface: Option<u32>,
    /// Interfaces written so far.
    interfaces: u32,
    /// Bytes of blocks written, and of those handed to the OS.
    bytes: u64,
    written: u64,
}

impl Writer {
    /// Writes the section header to `file` and returns the writer.
    pub(super) fn new(path: &Path, file: File, options: PcapOptions) -> io::Result<Self> {
        let shb = section_header(&[]);
        // The writer does not say how long the header it wrote is: the same header, written to memory.
        let bytes = PcapNgWriter::with_section_header(Vec::new(), shb.clone())
            .map_err(io_error)?
            .into_inner()
            .len() as u64;
        let out = BufWriter::with_capacity(1 << 18, file);
        let out = PcapNgWriter::with_section_header(out, shb).map_err(io_error)?;
        Ok(Self {
            path: path.to_owned(),
            out,
            options,
            synthesizer: Synthesizer::default(),
            packets: Packets::default(),
            interface: None,
            interfaces: 0,
            bytes,
            written: 0,
        })
    }

    fn failed(&self) -> impl FnOnce(io::Error) -> RecordingError + '_ {
        Kind::Pcapng.failed_at(&self.path)
    }

    fn block<'a>(&mut self, block: impl pcap_file::pcapng::PcapNgBlock<'a>) -> io::Result<()> {
        let len = self.out.write_pcapng_block(block).map_err(io_error)?;
        self.bytes += len as u64;
        Ok(())
    }

    /// A session's interface: raw IP, no snapshot limit, nanosecond times, named after the session.
    fn interface(&mut self, description: String) -> io::Result<u32> {
        self.block(InterfaceDescriptionBlock {
            linktype: DataLink::RAW,
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("netassist")),
                InterfaceDescriptionOption::IfDescription(Cow::Owned(description)),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        })?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    fn entry(&mut self, entry: &Entry) -> io::Result<()> {
        match entry {
            Entry::Session { mode, .. } => {
                self.synthesizer.session(mode);
                let description = Note::Opened(Box::new(mode.clone())).text(Lang::En);
                self.interface = Some(self.interface(description)?);
            }
            Entry::Event(event) => {
                self.packets.clear();
                self.synthesizer.event(event, &mut self.packets)?;
                let Some(interface) = self.interface else {
                    return Ok(());
                };
                let packets = std::mem::take(&mut self.packets);
                let written = packets.iter().try_for_each(|packet| {
                    self.block(EnhancedPacketBlock {
                        interface_id: interface,
                        timestamp: packet.at.duration_since(UNIX_EPOCH).unwrap_or_default(),
                        original_len: packet.data.len() as u32,
                        data: Cow::Borrowed(packet.data),
                        options: packet
                            .comment
                            .map(|c| EnhancedPacketOption::Comment(Cow::Borrowed(c)))
                            .into_iter()
                            .collect(),
                    })
                });
                self.packets = packets;
                written?;
            }
        }
        Ok(())
    }
}

impl recording::Writer for Writer {
    fn write(&mut self, entry: &Entry) -> Result<(), RecordingError> {
        if let Some(limit) = self.options.limit
            && self.bytes >= limit
        {
            // What is in the file stays whole: it is handed to the OS before saying why no more comes.
            recording::Writer::flush(self)?;
            return Err(self.failed()(io::Error::new(
                io::ErrorKind::FileTooLarge,
                LimitReached { limit },
            )));
        }
        self.entry(entry).map_err(self.failed())
    }

    fn flush(&mut self) -> Result<(), RecordingError> {
        self.out.get_mut().flush().map_err(self.failed())?;
        self.written = self.bytes;
        Ok(())
    }

    fn written(&self) -> u64 {
        self.written
    }
}

/// Writes a copy of the first `len` bytes of the pcapng file `recorded` (whole blocks, as
/// [`crate::recording::Recording::settle`] or [`RecordingError::written`] give them) to `to`, under a section
/// header of its own that adds `notes` (one comment each).
///
/// # Errors
/// Reading `recorded` or writing `to` failed, or `recorded` does not start with a section header.
pub fn export(recorded: &Path, len: u64, to: &Path, notes: &[String]) -> io::Result<()> {
    let mut from = File::open(recorded)?;
    let mut head = [0; 8];
    from.read_exact(&mut head)?;
    let [t0, t1, t2, t3, l0, l1, l2, l3] = head;
    if u32::from_le_bytes([t0, t1, t2, t3]) != SECTION_HEADER {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not a pcapng file", recorded.display()),
        ));
    }
    let header_len = u64::from(u32::from_le_bytes([l0, l1, l2, l3]));
    from.seek(SeekFrom::Start(header_len))?;
    let out = BufWriter::with_capacity(1 << 18, File::create(to)?);
    let mut out = PcapNgWriter::with_section_header(out, section_header(notes))
        .map_err(io_error)?
        .into_inner();
    io::copy(&mut from.take(len.saturating_sub(header_len)), &mut out)?;
    out.flush()
}
