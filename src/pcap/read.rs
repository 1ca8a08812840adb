//! Reading a pcapng file back into conversations: each TCP connection's bytes each way, reassembled by
//! sequence number, and each UDP exchange's datagrams, with their times; what a replay sends and
//! expects.
//!
//! What is read: pcapng files (NetAssist's own, and Wireshark's or tcpdump's), one or more sections,
//! packets in enhanced packet blocks on raw IP, IPv4, IPv6, Ethernet (Wireshark's loopback capture on
//! Linux is Ethernet) or Linux "cooked" (SLL) interfaces, with any time resolution (`if_tsresol`). TCP is
//! reassembled per direction by sequence number: retransmitted and overlapping bytes are taken once,
//! segments out of order wait for the gap before them, and bytes that never arrived (a capture that
//! missed packets) are counted in [`Conversation::missing`]. Not read: the older pcap format, IP
//! fragments (counted in [`Recording::skipped`]), other link types and protocols.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};

use super::SECTION_HEADER;

/// The magic numbers of the older pcap format (microsecond and nanosecond, either byte order).
const PCAP_MAGICS: [u32; 4] = [0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1];

/// The most bytes one direction of a TCP connection keeps waiting for a gap before them to fill.
const OUT_OF_ORDER_LIMIT: usize = 16 << 20;

/// TCP or UDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A TCP connection.
    Tcp,
    /// UDP datagrams between two addresses.
    Udp,
}

/// Bytes one end sent: a TCP segment's new bytes (those of one read or send, split at most at the
/// segment size), or a UDP datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// When the packet that completed them was captured.
    pub at: SystemTime,
    /// Which end sent them: an index into [`Conversation::ends`].
    pub from: usize,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// How one end of a TCP connection stopped sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// It sent a FIN.
    Fin,
    /// It sent an RST.
    Reset,
}

/// One TCP connection, or the UDP datagrams between two addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// TCP or UDP.
    pub transport: Transport,
    /// The two ends: first the one that opened (sent the SYN, or the first datagram; for a TCP
    /// connection whose start was not captured, the first that sent).
    pub ends: [SocketAddr; 2],
    /// The handshake was captured, so `ends[0]` really opened the connection.
    pub opened: bool,
    /// When it began (its first packet).
    pub started: SystemTime,
    /// What each end sent, in the order it was captured.
    pub chunks: Vec<Chunk>,
    /// How and when each end closed (TCP), by [`Conversation::ends`]' index.
    pub closes: [Option<(Close, SystemTime)>; 2],
    /// Bytes that never arrived in the capture (gaps in a TCP stream).
    pub missing: u64,
    /// The description of the interface it was captured on: NetAssist names its session there
    /// (`Session opened: TCP server on 0.0.0.0:10000`).
    pub interface: Option<String>,
}

/// What a pcapng file holds, as conversations in the order they began.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    /// The conversations.
    pub conversations: Vec<Conversation>,
    /// Packets passed over: not TCP or UDP, IP fragments, or on a link type that is not read.
    pub skipped: u64,
    /// The file ended in the middle of a block (a recording cut short); what came before was read.
    pub truncated: bool,
}

/// Why a file could not be read as a recording.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: io::Error,
    },
    /// The file is not pcapng; `pcap` when it is the older pcap format.
    NotPcapng {
        /// The file.
        path: PathBuf,
        /// It is a pcap file, which Wireshark can save as pcapng.
        pcap: bool,
    },
    /// A block could not be read.
    Damaged {
        /// The file.
        path: PathBuf,
        /// The block, counted from 1.
        block: u64,
        /// What is wrong with it.
        detail: String,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, error } => write!(f, "Cannot read {}: {error}", path.display()),
            Self::NotPcapng { path, pcap: true } => write!(
                f,
                "{} is a pcap file, not pcapng: open it in Wireshark and save it as pcapng (File → Save As)",
                path.display()
            ),
            Self::NotPcapng { path, pcap: false } => write!(
                f,
                "{} is not a pcapng file: replay reads pcapng files such as NetAssist's --pcap or \
                 Export as pcapng, or Wireshark's",
                path.display()
            ),
            Self::Damaged {
                path,
                block,
                detail,
            } => write!(
                f,
                "{} is damaged at block {block}: {detail}",
                path.display()
            ),
        }
    }
}

impl ReadError {
    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::Io { path, error } => format!("无法读取 {}：{error}", path.display()),
            Self::NotPcapng { path, pcap: true } => format!(
                "{} 是 pcap 文件而不是 pcapng：请在 Wireshark 中打开并另存为 pcapng（文件 → 另存为）",
                path.display()
            ),
            Self::NotPcapng { path, pcap: false } => format!(
                "{} 不是 pcapng 文件：回放读取 pcapng 文件，如 NetAssist 的 --pcap 或“导出为 pcapng”，或 Wireshark 保存的文件",
                path.display()
            ),
            Self::Damaged {
                path,
                block,
                detail,
            } => format!("{} 在第 {block} 个块处损坏：{detail}", path.display()),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// An interface of the section being read.
struct Interface {
    link: DataLink,
    /// Seconds per timestamp unit, as a fraction: `units` per second.
    units_per_second: u128,
    description: Option<String>,
}

impl Interface {
    fn time(&self, raw: Duration) -> SystemTime {
        // pcap-file hands the raw 64-bit count over as nanoseconds, whatever the resolution.
        let raw = raw.as_nanos();
        let nanos = raw.saturating_mul(1_000_000_000) / self.units_per_second.max(1);
        SystemTime::UNIX_EPOCH + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// `if_tsresol`: a power of 10 (or of 2, with the top bit set) dividing a second; 6 (microseconds)
/// when absent.
fn units_per_second(tsresol: Option<u8>) -> u128 {
    match tsresol.unwrap_or(6) {
        r if r & 0x80 == 0 => 10u128.saturating_pow(u32::from(r)),
        r => 1u128 << (r & 0x7F).min(100),
    }
}

/// Reads the pcapng file at `path`.
pub fn read(path: &Path) -> Result<Recording, ReadError> {
    let io_error = |error| ReadError::Io {
        path: path.to_owned(),
        error,
    };
    let mut file = File::open(path).map_err(io_error)?;
    let mut magic = [0; 4];
    let head = file.read_exact(&mut magic);
    let magic_le = u32::from_le_bytes(magic);
    if head.is_err() || magic_le != SECTION_HEADER {
        return Err(ReadError::NotPcapng {
            path: path.to_owned(),
            pcap: head.is_ok() && PCAP_MAGICS.contains(&magic_le),
        });
    }
    let file = File::open(path).map_err(io_error)?;
    let damaged = |block, detail: String| ReadError::Damaged {
        path: path.to_owned(),
        block,
        detail,
    };
    let mut reader = PcapNgReader::new(BufReader::with_capacity(1 << 18, file))
        .map_err(|error| damaged(1, error.to_string()))?;
    let mut builder = Builder::default();
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut blocks = 1u64;
    while let Some(block) = reader.next_block() {
        blocks += 1;
        let block = match block {
            Ok(block) => block,
            // A recording cut short ends in the middle of a block; what came before stands.
            Err(pcap_file::PcapError::IncompleteBuffer) => {
                builder.recording.truncated = true;
                break;
            }
            Err(pcap_file::PcapError::IoError(error))
                if error.kind() == io::ErrorKind::UnexpectedEof =>
            {
                builder.recording.truncated = true;
                break;
            }
            Err(error) => return Err(damaged(blocks, error.to_string())),
        };
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                let mut tsresol = None;
                let mut description = None;
                for option in &idb.options {
                    match option {
                        InterfaceDescriptionOption::IfTsResol(r) => tsresol = Some(*r),
                        InterfaceDescriptionOption::IfDescription(d) => {
                            description = Some(d.to_string());
                        }
                        _ => {}
                    }
                }
                interfaces.push(Interface {
                    link: idb.linktype,
                    units_per_second: units_per_second(tsresol),
                    description,
                });
            }
            Block::EnhancedPacket(packet) => {
                let Some(interface) = interfaces.get(packet.interface_id as usize) else {
                    return Err(damaged(
                        blocks,
                        format!(
                            "a packet on interface {} that was never described",
                            packet.interface_id
                        ),
                    ));
                };
                let at = interface.time(packet.timestamp);
                builder.packet(interface, at, &packet.data);
            }
            _ => {}
        }
    }
    Ok(builder.finish())
}

/// One direction of a TCP connection being reassembled.
#[derive(Debug, Default)]
struct Stream {
    /// The next sequence number expected; `None` until the first segment (or SYN).
    next: Option<u32>,
    /// Segments after a gap, by sequence number.
    waiting: BTreeMap<u32, (SystemTime, Vec<u8>)>,
    waiting_bytes: usize,
}

/// A conversation being read, and its TCP state.
struct Open {
    conversation: Conversation,
    streams: [Stream; 2],
}

impl Open {
    /// TCP payload from end `from` at sequence `seq`: the new bytes in order go into chunks.
    fn segment(&mut self, from: usize, seq: u32, at: SystemTime, payload: &[u8]) {
        let stream = &mut self.streams[from];
        let next = *stream.next.get_or_insert(seq);
        let ahead = seq.wrapping_sub(next).cast_signed();
        if ahead > 0 {
            if stream.waiting_bytes < OUT_OF_ORDER_LIMIT && !payload.is_empty() {
                stream.waiting_bytes += payload.len();
                stream.waiting.insert(seq, (at, payload.to_vec()));
            }
            return;
        }
        self.deliver(from, seq, at, payload);
        // Segments that waited for this gap follow on.
        loop {
            let stream = &mut self.streams[from];
            let Some(next) = stream.next else { return };
            let Some((&seq, _)) = stream
                .waiting
                .iter()
                .find(|(seq, _)| seq.wrapping_sub(next).cast_signed() <= 0)
            else {
                return;
            };
            let Some((waited_at, bytes)) = stream.waiting.remove(&seq) else {
                return;
            };
            stream.waiting_bytes -= bytes.len();
            self.deliver(from, seq, waited_at.max(at), &bytes);
        }
    }

    /// Takes the part of a segment at `seq` that is new (retransmitted bytes are dropped).
    fn deliver(&mut self, from: usize, seq: u32, at: SystemTime, payload: &[u8]) {
        let stream = &mut self.streams[from];
        let Some(next) = stream.next else { return };
        let old = next.wrapping_sub(seq) as usize;
        if old >= payload.len() {
            return;
        }
        let new = &payload[old..];
        stream.next = Some(next.wrapping_add(new.len() as u32));
        self.conversation.chunks.push(Chunk {
            at,
            from,
            bytes: new.to_vec(),
        });
    }

    /// The connection is over: what still waits for a gap is counted as missing.
    fn finish(mut self) -> Conversation {
        for stream in &self.streams {
            if let (Some(next), Some((&first, _))) = (stream.next, stream.waiting.iter().next()) {
                self.conversation.missing += u64::from(first.wrapping_sub(next));
            }
        }
        self.conversation
    }
}

/// Conversations as packets come.
#[derive(Default)]
struct Builder {
    recording: Recording,
    /// Open conversations by transport and their ends in a fixed order.
    open: HashMap<Key, Open>,
    /// Every conversation in the order they began; each open one's place is kept until it closes.
    order: Vec<Option<Conversation>>,
    places: HashMap<Key, usize>,
}

/// A conversation's transport and its two addresses in a fixed order.
type Key = (Transport, SocketAddr, SocketAddr);

/// The key of a packet's conversation.
fn key(transport: Transport, source: SocketAddr, destination: SocketAddr) -> Key {
    if source <= destination {
        (transport, source, destination)
    } else {
        (transport, destination, source)
    }
}

impl Builder {
    fn packet(&mut self, interface: &Interface, at: SystemTime, data: &[u8]) {
        let sliced = match interface.link {
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
            DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
            DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
            _ => {
                self.recording.skipped += 1;
                return;
            }
        };
        let Ok(packet) = sliced else {
            self.recording.skipped += 1;
            return;
        };
        let (source, destination, fragmented) = match &packet.net {
            Some(NetSlice::Ipv4(ip)) => (
                IpAddr::V4(ip.header().source_addr()),
                IpAddr::V4(ip.header().destination_addr()),
                ip.payload().fragmented,
            ),
            Some(NetSlice::Ipv6(ip)) => (
                IpAddr::V6(ip.header().source_addr()),
                IpAddr::V6(ip.header().destination_addr()),
                ip.payload().fragmented,
            ),
            _ => (IpAddr::from([0, 0, 0, 0]), IpAddr::from([0, 0, 0, 0]), true),
        };
        if fragmented {
            self.recording.skipped += 1;
            return;
        }
        let description = interface.description.as_deref();
        match &packet.transport {
            Some(TransportSlice::Tcp(tcp)) => {
                let from = SocketAddr::new(source, tcp.source_port());
                let to = SocketAddr::new(destination, tcp.destination_port());
                let starts = tcp.syn() && !tcp.ack();
                let syn = starts.then(|| tcp.sequence_number());
                let open = self.open(Transport::Tcp, from, to, at, syn, description);
                let side = usize::from(open.conversation.ends[0] != from);
                let mut seq = tcp.sequence_number();
                if tcp.syn() {
                    open.conversation.opened |= starts;
                    open.streams[side].next = Some(seq.wrapping_add(1));
                    seq = seq.wrapping_add(1);
                }
                open.segment(side, seq, at, tcp.payload());
                let close = if tcp.rst() {
                    Some(Close::Reset)
                } else if tcp.fin() {
                    Some(Close::Fin)
                } else {
                    None
                };
                if let Some(close) = close {
                    open.conversation.closes[side].get_or_insert((close, at));
                }
            }
            Some(TransportSlice::Udp(udp)) => {
                let from = SocketAddr::new(source, udp.source_port());
                let to = SocketAddr::new(destination, udp.destination_port());
                let open = self.open(Transport::Udp, from, to, at, None, description);
                let side = usize::from(open.conversation.ends[0] != from);
                open.conversation.chunks.push(Chunk {
                    at,
                    from: side,
                    bytes: udp.payload().to_vec(),
                });
            }
            _ => self.recording.skipped += 1,
        }
    }

    /// The conversation a packet from `from` to `to` belongs to: a SYN (`syn`, its sequence number)
    /// on addresses whose connection has begun otherwise (not a retransmission of its SYN) begins a
    /// new one.
    fn open(
        &mut self,
        transport: Transport,
        from: SocketAddr,
        to: SocketAddr,
        at: SystemTime,
        syn: Option<u32>,
        interface: Option<&str>,
    ) -> &mut Open {
        let key = key(transport, from, to);
        let ended = syn.is_some_and(|seq| {
            self.open.get(&key).is_some_and(|open| {
                let again = open.conversation.ends[0] == from
                    && open.streams[0].next == Some(seq.wrapping_add(1))
                    && open.conversation.chunks.is_empty();
                !again
            })
        });
        if ended {
            self.close(key);
        }
        let (places, order) = (&mut self.places, &mut self.order);
        self.open.entry(key).or_insert_with(|| {
            places.insert(key, order.len());
            order.push(None);
            Open {
                conversation: Conversation {
                    transport,
                    ends: [from, to],
                    opened: false,
                    started: at,
                    chunks: Vec::new(),
                    closes: [None, None],
                    missing: 0,
                    interface: interface.map(str::to_owned),
                },
                streams: [Stream::default(), Stream::default()],
            }
        })
    }

    fn close(&mut self, key: Key) {
        if let (Some(open), Some(&place)) = (self.open.remove(&key), self.places.get(&key)) {
            self.order[place] = Some(open.finish());
        }
    }

    fn finish(mut self) -> Recording {
        let keys: Vec<_> = self.open.keys().copied().collect();
        for key in keys {
            self.close(key);
        }
        self.recording.conversations = self.order.into_iter().flatten().collect();
        self.recording
    }
}

#[cfg(test)]
mod tests;
