//! How a row reads: directions, peer names, data as text or hex, connection events in English and Chinese,
//! and the line format shared by the window's copy, the command line, captures and text exports.
//!
//! A data line reads `TIME DIR PEER LENB DATA`. A row that is not a whole message carries its kind's word
//! ([`kind_word`]) in brackets after the length, `12:00:01.234 RX 127.0.0.1:59842 4B [skipped] FF FF FF 7F`,
//! so a script that reads whole messages can tell pieces, cut-off messages and skipped bytes apart; whole
//! messages carry no marker, so their lines read as they always have.
//!
//! Times come from [`timestamp`](crate::timestamp). Nothing here keeps state or does I/O; the writers
//! (capture, exports, the command line's output) call these functions line by line.

mod tls;

pub(crate) use tls::certificate_text;

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::codec::{ControlStyle, MessageKind, TextEncoding, decode_for_display_into, hex};
use crate::engine::{CloseReason, Direction, HostPort, Mode, NetError, PeerId, Problem};
use crate::i18n::{Lang, Text};
use crate::preset::{DataView, Preset};
use crate::timestamp::clock_text;
use crate::traffic::{Note, Row, RowKind, TrafficLog};

/// How data is turned into text: the log's display settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Display {
    /// Text, hex or both.
    pub view: DataView,
    /// The text encoding.
    pub encoding: TextEncoding,
    /// How control characters show.
    pub control: ControlStyle,
}

impl Display {
    /// The display settings of a preset.
    #[must_use]
    pub fn of(preset: &Preset) -> Self {
        Self {
            view: preset.view,
            encoding: preset.encoding,
            control: preset.control_style,
        }
    }

    /// The data as these settings show it: decoded text, hex, or both.
    #[must_use]
    pub fn data_text(&self, bytes: &[u8]) -> String {
        let mut out = String::new();
        self.push_data(bytes, &mut out);
        out
    }

    /// The bytes of a row of this kind as these settings show it: as [`push_data`](Self::push_data), except
    /// that skipped bytes are always hex, since they are a header or bytes out of step, not text.
    #[must_use]
    pub fn message_text(&self, bytes: &[u8], kind: MessageKind) -> String {
        let mut out = String::new();
        self.push_message(bytes, kind, &mut out);
        out
    }

    /// Appends the bytes of a row of this kind to `out`, as [`message_text`](Self::message_text) shows them.
    pub fn push_message(&self, bytes: &[u8], kind: MessageKind, out: &mut String) {
        match kind {
            MessageKind::BadLength => hex::format_into(bytes, out),
            MessageKind::Complete | MessageKind::Partial | MessageKind::Oversize => {
                self.push_data(bytes, out);
            }
        }
    }

    /// Appends the data as these settings show it to `out`, so a writer of many lines reuses one buffer.
    pub fn push_data(&self, bytes: &[u8], out: &mut String) {
        let text =
            |out: &mut String| decode_for_display_into(bytes, self.encoding, self.control, out);
        match self.view {
            DataView::Text => text(out),
            DataView::Hex => hex::format_into(bytes, out),
            DataView::Both => {
                text(out);
                out.push_str("  │  ");
                hex::format_into(bytes, out);
            }
        }
    }
}

/// `RX` or `TX`.
#[must_use]
pub fn dir_text(dir: Direction) -> &'static str {
    match dir {
        Direction::Rx => "RX",
        Direction::Tx => "TX",
    }
}

/// A peer as the log names it: its address while the log knows it, else its id.
#[must_use]
pub fn peer_name(log: &TrafficLog, peer: Option<PeerId>) -> String {
    match peer.and_then(|id| log.peer(id)) {
        Some(stats) => stats.addr.to_string(),
        None => peer.map_or_else(String::new, |id| id.to_string()),
    }
}

/// The peer of a row as the row names it: the address it was logged with, which stays after the log
/// forgets the peer. A relay side's row names its pair, so the rows of two pairs to one target differ:
/// in the direction its bytes went for data (`DEVICE→SERVER` for what the device sent, see
/// [`PeerAddr::toward`](crate::traffic::PeerAddr::toward)), `SELF⇄PARTNER` for a note.
#[must_use]
pub fn row_peer_name(row: &Row) -> String {
    match (&row.addr, row.peer, &row.kind) {
        (Some(addr), _, RowKind::Data { dir, .. }) => addr.toward(*dir),
        (Some(addr), _, RowKind::Note(_)) => addr.to_string(),
        (None, peer, _) => peer.map_or_else(String::new, |id| id.to_string()),
    }
}

/// The word every record (lines, CSV, JSON) uses for a row's kind: `message` (whole), `piece` (of a
/// message longer than the maximum size), `partial` (cut off by the close or a stop) or `skipped` (bytes
/// dropped to get back in step, such as an impossible length header).
#[must_use]
pub fn kind_word(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Complete => "message",
        MessageKind::Oversize => "piece",
        MessageKind::Partial => "partial",
        MessageKind::BadLength => "skipped",
    }
}

/// Appends the start of a line of traffic to `out`: `12:00:01.234 RX 127.0.0.1:59842 15B`, then for a row
/// that is not a whole message its marker, ` [piece]`; the data follows after a space.
pub fn push_data_head(
    out: &mut String,
    time: &str,
    dir: Direction,
    peer: &str,
    len: usize,
    kind: MessageKind,
) {
    let _ = write!(out, "{time} {} {peer} {len}B", dir_text(dir));
    if kind != MessageKind::Complete {
        let _ = write!(out, " [{}]", kind_word(kind));
    }
}

/// One connection event as a line: `12:00:01.234 127.0.0.1:59842 Connected`.
#[must_use]
pub fn note_line(time: &str, peer: &str, note: &Note) -> String {
    let mut line = format!("{time} ");
    if !peer.is_empty() {
        let _ = write!(line, "{peer} ");
    }
    line.push_str(&note.text(Lang::En));
    line
}

/// A row of the log as a line of text, as the window shows it (for the clipboard and text exports).
#[must_use]
pub fn row_line(row: &Row, display: &Display) -> String {
    let time = clock_text(row.at);
    let peer = row_peer_name(row);
    match &row.kind {
        RowKind::Data { dir, bytes, kind } => {
            let mut line = String::new();
            push_data_head(&mut line, &time, *dir, &peer, bytes.len(), *kind);
            line.push(' ');
            display.push_message(bytes, *kind, &mut line);
            line
        }
        RowKind::Note(note) => note_line(&time, &peer, note),
    }
}

/// A connection event in plain words: English as the traffic view, the command line and files show it,
/// or Chinese for the Chinese interface.
impl Text for Note {
    fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::En => note_en(self),
            Lang::Zh => note_zh(self),
        }
    }
}

/// A session's mode and addresses as the opening row names them: `TCP server on 0.0.0.0:10000`.
#[must_use]
pub fn opened_text(mode: &Mode, lang: Lang) -> String {
    match mode {
        Mode::TcpServer { bind, .. } => {
            format!("{} {bind}", lang.pick("TCP server on", "TCP 服务器，监听"))
        }
        Mode::TcpClient { host, port, .. } => {
            let server = HostPort {
                host: host.clone(),
                port: *port,
            };
            format!(
                "{} {server}",
                lang.pick("TCP client to", "TCP 客户端，连接")
            )
        }
        Mode::Relay { bind, target, .. } => format!(
            "{} {bind}{} {target}",
            lang.pick("Relay on", "中继，监听"),
            lang.pick(", to", "，转发到")
        ),
        Mode::Udp { bind, remote, .. } => {
            let mut text = format!("{} {bind}", lang.pick("UDP on", "UDP，绑定"));
            if let Some(remote) = remote {
                let _ = write!(text, "{} {remote}", lang.pick(", to", "，发往"));
            }
            text
        }
    }
}

/// Why a connection ended, in a few words: `reset (RST)`. [`crate::doctor::closed`] says what it means.
impl Text for CloseReason {
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::PeerClosed => lang.pick(
                "the peer closed the connection (FIN)",
                "对方关闭了连接 (FIN)",
            ),
            Self::Reset => lang.pick("reset (RST)", "连接被重置 (RST)"),
            Self::TimedOut => lang.pick(
                "timed out: the peer stopped answering",
                "超时：对方不再响应",
            ),
            Self::Kicked => lang.pick("disconnected by you", "已由你断开"),
            // Whole sentences: a forgotten remote's note is this alone, not "Closed: …".
            Self::Forgotten => lang.pick(
                "Forgotten to make room for newer remotes",
                "已忘记：为给新的远端腾出位置",
            ),
            Self::ForgottenByYou => lang.pick(
                "Forgotten by you: its next datagram makes it a remote again",
                "已由你忘记：再收到它的数据报时会重新成为远端",
            ),
            Self::SessionStopped => lang.pick("the session was stopped", "会话已停止"),
            Self::Error(error) => return error.text(lang),
            Self::Unreachable(error) => {
                return format!(
                    "{}{}",
                    lang.pick(
                        "the relay could not reach its target, so it closed the device (FIN): ",
                        "中继无法连接目标，已关闭设备的连接 (FIN)："
                    ),
                    error.text(lang)
                );
            }
            // The row names the pair by its addresses; the partner's id is shown nowhere.
            Self::PartnerReset(_) => lang.pick(
                "reset (RST) because the other side of its relay pair was reset or failed",
                "已重置 (RST)：中继对的另一端被重置或出错",
            ),
        }
        .to_owned()
    }
}

/// A relay's target as the user named it, with the address being connected to when the name is not
/// that address: `example.com:443 (93.184.215.14:443)`.
fn target_text(target: &str, addr: SocketAddr) -> String {
    let addr = addr.to_string();
    if target == addr {
        addr
    } else {
        format!("{target} ({addr})")
    }
}

/// Why a relay's connect on to the target at `addr` failed ([`Note::ConnectFailed`]): the usual
/// failures in a few words (the device's close, which follows the last one, gives the advice), any
/// other in full.
fn connect_failed_text(addr: SocketAddr, error: &NetError, lang: Lang) -> String {
    let why = match error.problem() {
        Problem::Refused => lang
            .pick(
                "refused (nothing listens on that port)",
                "被拒绝（该端口上没有程序在监听）",
            )
            .to_owned(),
        Problem::TimedOut => format!("{} ({})", lang.pick("timed out", "超时"), error.detail),
        Problem::Unreachable => lang.pick("no route to it", "没有路由").to_owned(),
        _ => error.text(lang),
    };
    match lang {
        Lang::En => format!("Could not connect on to the target at {addr}: {why}"),
        Lang::Zh => format!("无法转接到目标 {addr}：{why}"),
    }
}

/// A note in English.
fn note_en(note: &Note) -> String {
    match note {
        Note::Opened(mode) => format!("Session opened: {}", opened_text(mode, Lang::En)),
        Note::Listening(addr) => format!("Listening on {addr}"),
        Note::ReceiveBuffer {
            asked,
            granted,
            drops_reported,
        } => {
            let mut text = format!(
                "Receive buffer {} KiB (asked for {} KiB)",
                granted >> 10,
                asked >> 10
            );
            if granted < asked {
                text.push_str(": the OS allows no more (Linux: raise net.core.rmem_max)");
            }
            text.push_str(if *drops_reported {
                "; datagrams the OS drops when it is full are counted"
            } else {
                "; this OS does not say when it drops datagrams, so losses cannot be counted"
            });
            text
        }
        Note::Dropped { new, total } => format!(
            "The OS dropped {new} datagram(s) ({total} in all): the receive buffer was full"
        ),
        Note::Connected(_) => "Connected".to_owned(),
        Note::Connecting { target, addr } => format!(
            "Connecting on to the target {}; what the device sends meanwhile is held for it",
            target_text(target, *addr)
        ),
        Note::ConnectFailed { addr, error, .. } => connect_failed_text(*addr, error, Lang::En),
        // Ids are shown nowhere else: the rows that follow name the pair by its addresses.
        Note::Paired(_) => {
            "Paired: connected on to the target, which receives what it sends".to_owned()
        }
        Note::FirstDatagram { addr, dir } => match dir {
            Direction::Rx => format!("First datagram from {addr}"),
            Direction::Tx => format!("First datagram to {addr}"),
        },
        Note::HalfClosed(side, how) => tls::half_closed_text(*side, *how, Lang::En),
        Note::TlsEstablished(info) => tls::established_text(info, Lang::En),
        Note::TlsKeptCertificate(problem) => problem.text(Lang::En),
        Note::TlsCertificate(certificate, _) => format!(
            "TLS certificate: {}",
            tls::certificate_text(certificate, Lang::En)
        ),
        Note::Unsent { bytes, sends } => format!(
            "Not sent: {bytes} bytes of {sends} send(s) were still queued when the connection ended"
        ),
        Note::Closed(reason) => match reason {
            // UDP has no connection to close: a remote is forgotten, and the note says just that.
            CloseReason::Forgotten | CloseReason::ForgottenByYou => reason.text(Lang::En),
            _ => format!("Closed: {}", reason.text(Lang::En)),
        },
        Note::Rejected { addr, max_clients } => {
            format!("Refused {addr}: the server already has its maximum of {max_clients} clients")
        }
        Note::SendDropped {
            len,
            queued,
            since: None,
            ..
        } => format!(
            "Send dropped: {len} bytes did not fit behind the {queued} bytes still waiting \
             (the peer is not reading)"
        ),
        Note::SendDropped {
            sends,
            len,
            queued,
            since: Some(since),
        } => format!(
            "Sends dropped since {}: {sends} sends ({len} bytes) did not fit behind the {queued} \
             bytes still waiting (the peer is not reading)",
            clock_text(*since)
        ),
        Note::Joined(group) => format!("Joined multicast group {group}"),
        Note::Left(group) => format!("Left multicast group {group}"),
        Note::Error(error) => error.to_string(),
        Note::Check(milestone) => milestone.text(Lang::En),
        Note::Stopped => "Session closed".to_owned(),
    }
}

/// A note in Chinese.
fn note_zh(note: &Note) -> String {
    match note {
        Note::Opened(mode) => format!("会话已打开：{}", opened_text(mode, Lang::Zh)),
        Note::Listening(addr) => format!("正在监听 {addr}"),
        Note::ReceiveBuffer {
            asked,
            granted,
            drops_reported,
        } => {
            let mut text = format!(
                "接收缓冲区 {} KiB（请求 {} KiB）",
                granted >> 10,
                asked >> 10
            );
            if granted < asked {
                text.push_str("：系统不允许更大（Linux：调大 net.core.rmem_max）");
            }
            text.push_str(if *drops_reported {
                "；缓冲区满时系统丢弃的数据报会被计数"
            } else {
                "；此系统不报告丢弃的数据报，无法统计丢失"
            });
            text
        }
        Note::Dropped { new, total } => {
            format!("系统丢弃了 {new} 个数据报（共 {total} 个）：接收缓冲区已满")
        }
        Note::Connected(_) => "已连接".to_owned(),
        Note::Connecting { target, addr } => format!(
            "正在转接到目标 {}；其间设备发来的数据暂存，连上后转发",
            target_text(target, *addr)
        ),
        Note::ConnectFailed { addr, error, .. } => connect_failed_text(*addr, error, Lang::Zh),
        Note::Paired(_) => "已配对：已转接到目标，它发出的数据转发给目标".to_owned(),
        Note::FirstDatagram { addr, dir } => match dir {
            Direction::Rx => format!("收到来自 {addr} 的第一个数据报"),
            Direction::Tx => format!("向 {addr} 发出第一个数据报"),
        },
        Note::HalfClosed(side, how) => tls::half_closed_text(*side, *how, Lang::Zh),
        Note::TlsEstablished(info) => tls::established_text(info, Lang::Zh),
        Note::TlsKeptCertificate(problem) => problem.text(Lang::Zh),
        Note::TlsCertificate(certificate, _) => {
            format!("TLS 证书：{}", tls::certificate_text(certificate, Lang::Zh))
        }
        Note::Unsent { bytes, sends } => {
            format!("未发送：连接结束时还有 {sends} 次发送共 {bytes} 字节在排队")
        }
        Note::Closed(reason) => match reason {
            CloseReason::Forgotten | CloseReason::ForgottenByYou => reason.text(Lang::Zh),
            _ => format!("已断开：{}", reason.text(Lang::Zh)),
        },
        Note::Rejected { addr, max_clients } => {
            format!("拒绝 {addr}：服务器已达到最大客户端数 {max_clients}")
        }
        Note::SendDropped {
            len,
            queued,
            since: None,
            ..
        } => {
            format!("发送被丢弃：还有 {queued} 字节在排队，放不下这 {len} 字节（对方没有在接收）")
        }
        Note::SendDropped {
            sends,
            len,
            queued,
            since: Some(since),
        } => format!(
            "自 {} 起发送被丢弃：还有 {queued} 字节在排队，放不下这 {sends} 次发送共 {len} 字节（对方没有在接收）",
            clock_text(*since)
        ),
        Note::Joined(group) => format!("已加入组播组 {group}"),
        Note::Left(group) => format!("已退出组播组 {group}"),
        Note::Error(error) => error.zh(),
        Note::Check(milestone) => milestone.text(Lang::Zh),
        Note::Stopped => "会话已关闭".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::codec::{FramerConfig, Framing, LengthPrefix};
    use crate::traffic::test_support::{P1, Session, addr, config, delimiter, net_error};

    const TEXT: Display = Display {
        view: DataView::Text,
        encoding: TextEncoding::Utf8,
        control: ControlStyle::Escapes,
    };

    /// Each row of the log as a line, without its time.
    fn lines(log: &TrafficLog, display: Display) -> Vec<String> {
        (0..log.len())
            .filter_map(|i| log.row(i))
            .map(|row| {
                let line = row_line(row, &display);
                line.split_once(' ').unwrap().1.to_owned()
            })
            .collect()
    }

    #[test]
    fn lines_mark_pieces_and_cut_off_messages_and_leave_whole_ones_as_they_were() {
        // Messages end at `#`; a message (with its delimiter) may be at most 4 bytes.
        let framer = FramerConfig {
            max_message: 4,
            ..delimiter(b"#")
        };
        let mut s = Session::new(config(framer));
        s.connect(0, P1);
        s.rx(1, P1, b"ok#abcdefg#xy");
        s.close(2, P1, CloseReason::PeerClosed);
        let peer = addr(50_001);
        assert_eq!(
            lines(&s.log, TEXT),
            [
                format!("{peer} Connected"),
                format!("RX {peer} 2B ok"),
                format!("RX {peer} 4B [piece] abcd"),
                format!("RX {peer} 3B [piece] efg"),
                format!("RX {peer} 2B [partial] xy"),
                format!("{peer} Closed: the peer closed the connection (FIN)"),
            ]
        );
    }

    #[test]
    fn a_skipped_header_is_marked_and_shown_as_hex_whatever_the_display() {
        let framer = FramerConfig::from(Framing::LengthPrefix {
            prefix: LengthPrefix::I32Le,
            counts_header: false,
        });
        let mut s = Session::new(config(framer));
        s.connect(0, P1);
        // A header announcing 2 GiB, then a whole message of 2 bytes.
        s.rx(1, P1, &[0xFF, 0xFF, 0xFF, 0x7F, 2, 0, 0, 0, b'o', b'k']);
        let peer = addr(50_001);
        for view in [DataView::Text, DataView::Hex, DataView::Both] {
            let display = Display { view, ..TEXT };
            assert_eq!(
                lines(&s.log, display)[1],
                format!("RX {peer} 4B [skipped] FF FF FF 7F"),
                "{view:?}"
            );
        }
        assert_eq!(lines(&s.log, TEXT)[2], format!("RX {peer} 2B ok"));
    }

    #[test]
    fn every_kind_has_its_word() {
        let words = [
            MessageKind::Complete,
            MessageKind::Oversize,
            MessageKind::Partial,
            MessageKind::BadLength,
        ]
        .map(kind_word);
        assert_eq!(words, ["message", "piece", "partial", "skipped"]);
    }

    #[test]
    fn a_first_datagram_says_which_way_it_went() {
        for (dir, en, zh) in [
            (
                Direction::Rx,
                "First datagram from 192.168.1.20:1",
                "收到来自 192.168.1.20:1 的第一个数据报",
            ),
            (
                Direction::Tx,
                "First datagram to 192.168.1.20:1",
                "向 192.168.1.20:1 发出第一个数据报",
            ),
        ] {
            let note = Note::FirstDatagram { addr: addr(1), dir };
            assert_eq!(
                (note.text(Lang::En), note.text(Lang::Zh)),
                (en.to_owned(), zh.to_owned())
            );
        }
    }

    /// Two devices relayed to one target: the server sides share the target's address, and each row
    /// still names its own pair, in the direction its bytes went.
    #[test]
    fn relay_rows_name_their_pair() {
        use crate::engine::Event;
        use crate::traffic::test_support::wall;
        let mut s = Session::new(config(FramerConfig::default()));
        let target = addr(8883);
        for (device, server, local) in [(1, 2, 40_001), (3, 4, 40_002)] {
            s.connect(1, PeerId(device));
            s.event(
                2,
                &Event::Connecting {
                    device: PeerId(device),
                    server: PeerId(server),
                    target: target.into(),
                    addr: target,
                    at: wall(2),
                },
            );
            s.event(
                2,
                &Event::Paired {
                    device: PeerId(device),
                    server: PeerId(server),
                    at: wall(2),
                },
            );
            s.event(
                2,
                &Event::Connected {
                    peer: PeerId(server),
                    addr: target,
                    local: addr(local),
                    at: wall(2),
                },
            );
            s.rx(3, PeerId(device), b"up");
            s.rx(4, PeerId(server), b"down");
            s.tx(5, PeerId(device), b"hi");
        }
        let lines: Vec<String> = lines(&s.log, TEXT)
            .into_iter()
            .filter(|line| !line.contains("onnect") && !line.contains("Paired"))
            .collect();
        let (d1, d3) = (addr(50_001), addr(50_003));
        assert_eq!(
            lines,
            [
                format!("RX {d1}→{target} 2B up"),
                format!("RX {target}→{d1} 4B down"),
                format!("TX {d1}←{target} 2B hi"),
                format!("RX {d3}→{target} 2B up"),
                format!("RX {target}→{d3} 4B down"),
                format!("TX {d3}←{target} 2B hi"),
            ]
        );
        let server = s.log.peer(PeerId(4)).unwrap();
        assert_eq!(server.addr.to_string(), format!("{target}⇄{d3}"));
        assert_eq!(server.addr.pair.unwrap().server_local, Some(addr(40_002)));
    }

    /// A device whose target was not reached: the connect is its note, and what it sent is not sent to
    /// the server side, named by the address tried (it never connected). From the connect on, both are
    /// named by the pair they were to form, the later address tried replacing the earlier; rows made
    /// before keep their names.
    #[test]
    fn an_unreached_server_side_is_named_by_the_address_tried() {
        use crate::engine::{Event, HostPort, NetError};
        use crate::traffic::test_support::wall;
        let mut s = Session::new(config(FramerConfig::default()));
        let (device, first, server) = (PeerId(1), PeerId(2), PeerId(3));
        let (tried, target) = (addr(8882), addr(8883));
        s.connect(1, device);
        s.rx(1, device, b"early");
        let timed_out = |to: SocketAddr| {
            NetError::connect_timeout(to.to_string(), std::time::Duration::from_secs(3))
        };
        for (ms, server, to) in [(2, first, tried), (3, server, target)] {
            s.event(
                ms,
                &Event::Connecting {
                    device,
                    server,
                    target: HostPort::from(to),
                    addr: to,
                    at: wall(ms),
                },
            );
            s.rx(ms, device, b"hello");
            s.event(
                ms,
                &Event::ConnectFailed {
                    device,
                    server,
                    addr: to,
                    local: Some(addr(40_000)),
                    error: timed_out(to),
                    at: wall(ms),
                },
            );
        }
        s.event(
            4,
            &Event::Unsent {
                peer: server,
                written: bytes::Bytes::new(),
                written_at: wall(4),
                bytes: 10,
                sends: 2,
                at: wall(4),
            },
        );
        s.close(4, device, CloseReason::Unreachable(timed_out(target)));
        let lines = lines(&s.log, TEXT);
        let d1 = addr(50_001);
        // Each failed connect in a few words, then the close with what to do about it.
        let expected = [
            format!("RX {d1} 5B early"),
            format!(
                "{d1}⇄{tried} Connecting on to the target {tried}; what the device sends meanwhile is \
                 held for it"
            ),
            format!("RX {d1}→{tried} 5B hello"),
            format!(
                "{d1}⇄{tried} Could not connect on to the target at {tried}: timed out (no answer \
                 within 3000 ms)"
            ),
            format!(
                "{d1}⇄{target} Connecting on to the target {target}; what the device sends meanwhile \
                 is held for it"
            ),
            format!("RX {d1}→{target} 5B hello"),
            format!(
                "{d1}⇄{target} Could not connect on to the target at {target}: timed out (no answer \
                 within 3000 ms)"
            ),
            format!(
                "{target}⇄{d1} Not sent: 10 bytes of 2 send(s) were still queued when the connection \
                 ended"
            ),
            format!(
                "{d1}⇄{target} Closed: the relay could not reach its target, so it closed the device \
                 (FIN): No answer from {target} (no answer within 3000 ms). Check the IP address, the \
                 cable or Wi-Fi, and any firewall."
            ),
        ];
        assert_eq!(lines[1..], expected, "{lines:#?}");
    }

    #[test]
    fn relay_notes_in_plain_words() {
        use crate::engine::Operation;
        let cases = [
            (
                Note::Connecting {
                    target: "localhost:8883".to_owned(),
                    addr: addr(8883),
                },
                "Connecting on to the target localhost:8883 (192.168.1.20:8883); what the device sends \
                 meanwhile is held for it",
                "正在转接到目标 localhost:8883 (192.168.1.20:8883)；其间设备发来的数据暂存，连上后转发",
            ),
            (
                Note::Connecting {
                    target: "192.168.1.20:8883".to_owned(),
                    addr: addr(8883),
                },
                "Connecting on to the target 192.168.1.20:8883; what the device sends meanwhile is held \
                 for it",
                "正在转接到目标 192.168.1.20:8883；其间设备发来的数据暂存，连上后转发",
            ),
            (
                Note::ConnectFailed {
                    addr: addr(8883),
                    local: Some(addr(40_000)),
                    error: Box::new(NetError::io(
                        Operation::Connect,
                        Some(addr(8883).to_string()),
                        &std::io::ErrorKind::ConnectionRefused.into(),
                    )),
                },
                "Could not connect on to the target at 192.168.1.20:8883: refused (nothing listens on \
                 that port)",
                "无法转接到目标 192.168.1.20:8883：被拒绝（该端口上没有程序在监听）",
            ),
            (
                Note::ConnectFailed {
                    addr: addr(8883),
                    local: None,
                    error: Box::new(NetError::io(
                        Operation::Connect,
                        Some(addr(8883).to_string()),
                        &std::io::ErrorKind::NetworkUnreachable.into(),
                    )),
                },
                "Could not connect on to the target at 192.168.1.20:8883: no route to it",
                "无法转接到目标 192.168.1.20:8883：没有路由",
            ),
            (
                Note::Paired(PeerId(7)),
                "Paired: connected on to the target, which receives what it sends",
                "已配对：已转接到目标，它发出的数据转发给目标",
            ),
            (
                Note::Closed(CloseReason::PartnerReset(PeerId(7))),
                "Closed: reset (RST) because the other side of its relay pair was reset or failed",
                "已断开：已重置 (RST)：中继对的另一端被重置或出错",
            ),
        ];
        for (note, en, zh) in cases {
            assert_eq!(
                (note.text(Lang::En), note.text(Lang::Zh)),
                (en.to_owned(), zh.to_owned())
            );
        }
    }

    #[test]
    fn notes_in_plain_words() {
        let group = IpAddr::from([239, 1, 2, 3]);
        let error = net_error(std::io::ErrorKind::ConnectionRefused);
        let cases = [
            (Note::Connected(addr(1)), "Connected", "已连接"),
            (
                Note::Closed(CloseReason::PeerClosed),
                "Closed: the peer closed the connection (FIN)",
                "已断开：对方关闭了连接 (FIN)",
            ),
            (
                Note::Closed(CloseReason::Reset),
                "Closed: reset (RST)",
                "已断开：连接被重置 (RST)",
            ),
            (
                Note::Closed(CloseReason::Kicked),
                "Closed: disconnected by you",
                "已断开：已由你断开",
            ),
            (
                Note::Closed(CloseReason::Forgotten),
                "Forgotten to make room for newer remotes",
                "已忘记：为给新的远端腾出位置",
            ),
            (
                Note::Closed(CloseReason::ForgottenByYou),
                "Forgotten by you: its next datagram makes it a remote again",
                "已由你忘记：再收到它的数据报时会重新成为远端",
            ),
            (
                Note::Rejected {
                    addr: addr(2),
                    max_clients: 8,
                },
                "Refused 192.168.1.20:2: the server already has its maximum of 8 clients",
                "拒绝 192.168.1.20:2：服务器已达到最大客户端数 8",
            ),
            (
                Note::Joined(group),
                "Joined multicast group 239.1.2.3",
                "已加入组播组 239.1.2.3",
            ),
            (Note::Stopped, "Session closed", "会话已关闭"),
            (
                Note::HalfClosed(crate::engine::Side::Peer, None),
                "The peer finished sending (FIN); it can still receive",
                "对方已结束发送 (FIN)，仍可接收",
            ),
            (
                Note::Opened(Box::new(Mode::TcpServer {
                    bind: addr(10_000),
                    max_clients: None,
                })),
                "Session opened: TCP server on 192.168.1.20:10000",
                "会话已打开：TCP 服务器，监听 192.168.1.20:10000",
            ),
            (
                Note::Opened(Box::new(Mode::TcpClient {
                    host: "fe80::1".to_owned(),
                    port: 7000,
                    local: None,
                    timeout: std::time::Duration::from_secs(5),
                })),
                "Session opened: TCP client to [fe80::1]:7000",
                "会话已打开：TCP 客户端，连接 [fe80::1]:7000",
            ),
            (
                Note::Opened(Box::new(Mode::Udp {
                    bind: addr(7088),
                    remote: Some(addr(7089).into()),
                    broadcast: false,
                    multicast: Vec::new(),
                })),
                "Session opened: UDP on 192.168.1.20:7088, to 192.168.1.20:7089",
                "会话已打开：UDP，绑定 192.168.1.20:7088，发往 192.168.1.20:7089",
            ),
        ];
        for (note, en, zh) in cases {
            assert_eq!(
                (note.text(Lang::En), note.text(Lang::Zh)),
                (en.to_owned(), zh.to_owned())
            );
        }
        let note = Note::Error(error.clone());
        assert_eq!(
            (note.text(Lang::En), note.text(Lang::Zh)),
            (error.to_string(), error.zh())
        );
        let closed = Note::Closed(CloseReason::Error(error.clone()));
        assert_eq!(closed.text(Lang::En), format!("Closed: {error}"));
        assert_eq!(closed.text(Lang::Zh), format!("已断开：{}", error.zh()));
    }
}
