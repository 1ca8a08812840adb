//! One TCP connection's sequence space as the packets show it ([`Tcp`]): the handshake, data segments
//! and their acknowledgements, each side's FIN, an RST, and the end as its [`CloseReason`] tells it.

use std::io;
use std::time::SystemTime;

use etherparse::{TcpHeader, TcpOptionElement};

use super::{Flow, MSS, Packets, WINDOW, WINDOW_SCALE, joined};
use crate::engine::{CloseReason, NetError, PeerId, Problem, TlsFailure};
use crate::i18n::{Lang, Text};
use crate::traffic::Note;

/// A made-up initial sequence number for one side of a peer's connection: spread over the whole range,
/// and the same for the same peer, so a file is made the same way each time.
pub(super) fn initial_sequence(peer: PeerId, local: bool) -> u32 {
    // SplitMix64's finalizer: a cheap, well-mixed hash of the peer and side.
    let mut x = peer.0.wrapping_mul(2).wrapping_add(u64::from(local));
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) as u32
}

/// One TCP connection's sequence space: the next sequence number each side sends, and which sides have
/// sent their FIN. Numbers wrap at 2^32 as TCP's do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Tcp {
    /// The initial sequence numbers, ours and the peer's.
    local_isn: u32,
    remote_isn: u32,
    /// The peer sent the SYN.
    peer_opens: bool,
    /// The next sequence number we send.
    local_next: u32,
    /// The next sequence number the peer sends.
    remote_next: u32,
    local_fin: bool,
    remote_fin: bool,
}

/// A TCP header's flags, as set on one segment: a set of the constants below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Flags(u8);

impl Flags {
    const SYN: Self = Self(1);
    const ACK: Self = Self(2);
    const PSH: Self = Self(4);
    const FIN: Self = Self(8);
    const RST: Self = Self(16);

    fn has(self, flag: Self) -> bool {
        self.0 & flag.0 != 0
    }

    /// These flags and `flag`.
    fn and(self, flag: Self) -> Self {
        Self(self.0 | flag.0)
    }
}

impl Tcp {
    /// A connection whose sides start at these initial sequence numbers.
    pub(super) fn new(local_isn: u32, remote_isn: u32, peer_opens: bool) -> Self {
        Self {
            local_isn,
            remote_isn,
            peer_opens,
            local_next: local_isn.wrapping_add(1),
            remote_next: remote_isn.wrapping_add(1),
            local_fin: false,
            remote_fin: false,
        }
    }

    /// The next sequence number of one side, and the other side's (what it acknowledges).
    fn numbers(&self, from_local: bool) -> (u32, u32) {
        if from_local {
            (self.local_next, self.remote_next)
        } else {
            (self.remote_next, self.local_next)
        }
    }

    fn advance(&mut self, from_local: bool, by: u32) {
        let next = if from_local {
            &mut self.local_next
        } else {
            &mut self.remote_next
        };
        *next = next.wrapping_add(by);
    }

    /// A header from one side with these numbers and flags.
    fn header(
        flow: &Flow,
        from_local: bool,
        seq: u32,
        ack: u32,
        flags: Flags,
        window: u16,
    ) -> TcpHeader {
        let (source, destination) = flow.ports(from_local);
        let mut header = TcpHeader::new(source, destination, seq, window);
        header.syn = flags.has(Flags::SYN);
        header.ack = flags.has(Flags::ACK);
        header.psh = flags.has(Flags::PSH);
        header.fin = flags.has(Flags::FIN);
        header.rst = flags.has(Flags::RST);
        if header.ack {
            header.acknowledgment_number = ack;
        }
        header
    }

    /// SYN, SYN-ACK and ACK, all at `at`, from whichever side opened.
    pub(super) fn handshake(
        &self,
        flow: &Flow,
        at: SystemTime,
        out: &mut Packets,
    ) -> io::Result<()> {
        let opener_local = !self.peer_opens;
        let (opener_isn, answer_isn) = if opener_local {
            (self.local_isn, self.remote_isn)
        } else {
            (self.remote_isn, self.local_isn)
        };
        for (from_local, seq, acked, flags) in [
            (opener_local, opener_isn, 0, Flags::SYN),
            (
                !opener_local,
                answer_isn,
                opener_isn.wrapping_add(1),
                Flags::SYN.and(Flags::ACK),
            ),
            (
                opener_local,
                opener_isn.wrapping_add(1),
                answer_isn.wrapping_add(1),
                Flags::ACK,
            ),
        ] {
            let header = Self::syn_header(flow, from_local, seq, acked, flags)?;
            flow.segment(out, at, from_local, header, &[], None)?;
        }
        Ok(())
    }

    /// A handshake segment's header: a SYN announces the segment size and window scale.
    fn syn_header(
        flow: &Flow,
        from_local: bool,
        seq: u32,
        ack: u32,
        flags: Flags,
    ) -> io::Result<TcpHeader> {
        let mut header = Self::header(flow, from_local, seq, ack, flags, WINDOW);
        if flags.has(Flags::SYN) {
            let options = [
                TcpOptionElement::MaximumSegmentSize(MSS as u16),
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(WINDOW_SCALE),
            ];
            header.set_options(&options).map_err(io::Error::other)?;
        }
        Ok(header)
    }

    /// A connect of ours that failed (`error`, at `at`; the log's words for it in `words`), begun at
    /// `began`: our SYN then, and for a refusal the peer's RST/ACK; for a time-out only the SYN, saying
    /// that no answer came and that the SYNs the kernel sent again are not drawn. Any other failure
    /// draws nothing: whether a SYN left this PC is not known (no route may be found before it is
    /// sent), and what came back, if anything, was no TCP segment.
    pub(super) fn failed_connect(
        &self,
        flow: &Flow,
        began: SystemTime,
        error: &NetError,
        at: SystemTime,
        words: String,
        out: &mut Packets,
    ) -> io::Result<()> {
        let syn = Self::syn_header(flow, true, self.local_isn, 0, Flags::SYN)?;
        match error.problem() {
            Problem::Refused => {
                flow.segment(out, began, true, syn, &[], None)?;
                // A refusal as the peer's TCP sends it: no sequence number of its own, our SYN acked.
                let acked = self.local_isn.wrapping_add(1);
                let rst = Self::header(flow, false, 0, acked, Flags::ACK.and(Flags::RST), 0);
                flow.segment(out, at, false, rst, &[], Some(words))
            }
            Problem::TimedOut => {
                let comment = format!(
                    "{words}. Only this first SYN is drawn: the SYNs the kernel sent again while no \
                     answer came are not."
                );
                flow.segment(out, began, true, syn, &[], Some(comment))
            }
            _ => Ok(()),
        }
    }

    /// One read or send: segments of at most [`MSS`] bytes, the last pushed, then the other side's ACK.
    pub(super) fn data(
        &mut self,
        flow: &Flow,
        from_local: bool,
        bytes: &[u8],
        at: SystemTime,
        mut comment: Option<String>,
        out: &mut Packets,
    ) -> io::Result<()> {
        let segments = bytes.len().div_ceil(MSS);
        for (i, payload) in bytes.chunks(MSS).enumerate() {
            let (seq, ack) = self.numbers(from_local);
            let flags = if i + 1 == segments {
                Flags::ACK.and(Flags::PSH)
            } else {
                Flags::ACK
            };
            let header = Self::header(flow, from_local, seq, ack, flags, WINDOW);
            flow.segment(out, at, from_local, header, payload, comment.take())?;
            self.advance(from_local, payload.len() as u32);
        }
        if segments > 0 {
            self.ack(flow, !from_local, at, out)?;
        }
        Ok(())
    }

    /// A bare ACK from one side of all the other side sent.
    fn ack(
        &self,
        flow: &Flow,
        from_local: bool,
        at: SystemTime,
        out: &mut Packets,
    ) -> io::Result<()> {
        let (seq, ack) = self.numbers(from_local);
        flow.segment(
            out,
            at,
            from_local,
            Self::header(flow, from_local, seq, ack, Flags::ACK, WINDOW),
            &[],
            None,
        )
    }

    /// One side's FIN and the other's ACK of it; nothing if that side already sent its FIN.
    pub(super) fn fin(
        &mut self,
        flow: &Flow,
        from_local: bool,
        at: SystemTime,
        comment: Option<String>,
        out: &mut Packets,
    ) -> io::Result<()> {
        let sent = if from_local {
            &mut self.local_fin
        } else {
            &mut self.remote_fin
        };
        if std::mem::replace(sent, true) {
            return Ok(());
        }
        let (seq, ack) = self.numbers(from_local);
        let flags = Flags::ACK.and(Flags::FIN);
        let header = Self::header(flow, from_local, seq, ack, flags, WINDOW);
        flow.segment(out, at, from_local, header, &[], comment)?;
        self.advance(from_local, 1);
        self.ack(flow, !from_local, at, out)
    }

    /// An RST (with ACK) from one side.
    fn rst(
        &self,
        flow: &Flow,
        from_local: bool,
        at: SystemTime,
        comment: String,
        out: &mut Packets,
    ) -> io::Result<()> {
        let (seq, ack) = self.numbers(from_local);
        let flags = Flags::ACK.and(Flags::RST);
        let header = Self::header(flow, from_local, seq, ack, flags, 0);
        flow.segment(out, at, from_local, header, &[], Some(comment))
    }

    /// The end of the connection, as [`CloseReason`] tells it (see the [module docs](self)).
    pub(super) fn closed(
        &mut self,
        flow: &Flow,
        reason: &CloseReason,
        at: SystemTime,
        tls: Option<String>,
        out: &mut Packets,
    ) -> io::Result<()> {
        let words = Note::Closed(reason.clone()).text(Lang::En);
        // A TLS handshake that nothing followed is told on the close.
        let words = joined(tls, Some(words)).unwrap_or_default();
        match reason {
            CloseReason::PeerClosed
            | CloseReason::Kicked
            | CloseReason::SessionStopped
            | CloseReason::Unreachable(_) => self.fin(flow, true, at, Some(words), out),
            // TLS gives up in order: its alert, then our FIN; after the peer's FIN when that ended it.
            CloseReason::Error(error) if error.tls.is_some() && !error.reset => {
                if matches!(error.tls.as_deref(), Some(TlsFailure::ClosedInHandshake)) {
                    self.fin(flow, false, at, None, out)?;
                }
                self.fin(flow, true, at, Some(words), out)
            }
            CloseReason::Reset => self.rst(flow, false, at, words, out),
            CloseReason::Error(_) | CloseReason::PartnerReset(_) => {
                self.rst(flow, true, at, words, out)
            }
            CloseReason::TimedOut | CloseReason::Forgotten | CloseReason::ForgottenByYou => Ok(()),
        }
    }
}
