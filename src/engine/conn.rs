//! One TCP connection as the server, the client and the relay use it: non-blocking reads into the
//! session's shared buffer, and a bounded send queue flushed as the socket accepts bytes. The connection is
//! plain TCP or TLS ([`TlsLink`] over the same socket, chosen per connection); either way what it reports
//! is the plaintext, and a send is reported once its last byte (its last record, with TLS) was written.
//!
//! A relay's side ([`Conn::pair_with`]) differs in three ways: the bytes forwarded from its partner are
//! reported as [`Event::Forwarded`] when written (they were logged when read), its partner's FIN does
//! not end it (the relay ends a pair once both directions are finished), and it can be reset on purpose
//! ([`Conn::abort`]) to pass on its partner's RST.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use mio::Interest;
use mio::net::TcpStream;
use socket2::{SockRef, TcpKeepalive};

use crate::addr::canonical;

use super::replies::no_other_side;
use super::tls::link::{RAW_READ, TlsLink};
use super::tls::{Endpoint, TlsClose};
use super::worker::Cx;
use super::{CloseReason, Direction, Event, NetError, Operation, PeerId, Side, TlsFailure};

/// Reads per readiness turn before other peers get their turn; with the 64 KiB buffer that is 256 KiB.
pub(crate) const READS_PER_TURN: usize = 4;

/// Reads of what a peer sent that are still taken once the connection is failing: after a TLS failure
/// (the connection is reset instead when the peer is still sending then; 160 KiB), or after a write
/// found it reset by the peer (what the peer sent before its RST).
const LEFT_READS: usize = 4;

/// A connected TCP peer.
pub(crate) struct Conn {
    stream: TcpStream,
    pub(crate) peer: PeerId,
    pub(crate) addr: SocketAddr,
    /// Sends waiting to be written, oldest first, each whole as it was made.
    queue: VecDeque<Bytes>,
    /// Beside each queued send: the relay partner it was read from, or `None` for a send of our own.
    origins: VecDeque<Option<PeerId>>,
    /// A relay's side: the other side of its pair. Its FIN then does not end this connection.
    partner: Option<PeerId>,
    /// Bytes of the first queued send already written, and when the last of them was.
    front_written: usize,
    front_written_at: SystemTime,
    /// Bytes queued and not yet written.
    queued: usize,
    /// The peer finished sending (we read its FIN); we no longer read.
    peer_finished: bool,
    /// Whether we still send, or are finishing (a half-close the user asked for).
    sending: Sending,
    /// Reading paused because echoing would overfill the send queue; resumed when it drains.
    read_paused: bool,
    /// TLS on this connection; `None` for plain TCP.
    tls: Option<Box<TlsLink>>,
    /// The caller has yet to send what it sends as the connection opens ([`Conn::hold`]): the peer's FIN
    /// does not end the connection until it has.
    held: bool,
}

/// Our sending side of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sending {
    /// Open for sends.
    Open,
    /// The user asked to finish sending: the FIN goes once the queue is empty; no new sends.
    Finishing,
    /// Our FIN went out.
    Finished,
    /// A write (or our FIN) found the connection reset by the peer: nothing more is written, what the
    /// peer sent before its RST is read as it closes ([`Conn::close`]). `fin`: the peer's FIN came
    /// before its RST, so the end of what is left to read is that FIN, not the reset.
    Reset { fin: bool },
}

/// Whether the connection is still usable after an operation.
pub(crate) type Outcome = Result<(), CloseReason>;

/// What a read turn left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadState {
    /// Everything available was read, or reading waits for the send queue to drain; wait for the next
    /// readiness event.
    Drained,
    /// The turn's budget ran out (or reading is paused) with data possibly left: read again soon.
    More,
}

impl Conn {
    /// Registers a freshly connected stream and reports it as `Connected`; with `tls`, the TLS handshake
    /// starts (a client's greeting goes out with the first flush). An IPv4 peer of a dual-stack (`[::]`)
    /// listener is named by its IPv4 address, as the user knows it.
    pub(crate) fn open(
        stream: TcpStream,
        addr: SocketAddr,
        tls: Option<&Endpoint>,
        cx: &mut Cx,
    ) -> Result<Self, NetError> {
        Self::open_as(stream, addr, PeerId::next(), tls, cx)
    }

    /// As [`Conn::open`], under an id given out before (a relay names its server side when it starts to
    /// connect it).
    pub(crate) fn open_as(
        mut stream: TcpStream,
        addr: SocketAddr,
        peer: PeerId,
        tls: Option<&Endpoint>,
        cx: &mut Cx,
    ) -> Result<Self, NetError> {
        let addr = canonical(addr);
        let fail = |e: &io::Error| NetError::io(Operation::Setup, Some(addr.to_string()), e);
        let tls = tls
            .map(|endpoint| TlsLink::new(endpoint).map(Box::new))
            .transpose()
            .map_err(|failure| NetError::tls(Operation::Tls, Some(addr.to_string()), failure))?;
        tune(&stream).map_err(|e| fail(&e))?;
        cx.registry
            .register(
                &mut stream,
                Cx::token(peer),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| fail(&e))?;
        let local = canonical(stream.local_addr().map_err(|e| fail(&e))?);
        cx.emit(Event::Connected {
            peer,
            addr,
            local,
            at: SystemTime::now(),
        });
        Ok(Self {
            stream,
            peer,
            addr,
            queue: VecDeque::new(),
            origins: VecDeque::new(),
            partner: None,
            front_written: 0,
            front_written_at: SystemTime::now(),
            queued: 0,
            peer_finished: false,
            sending: Sending::Open,
            read_paused: false,
            tls,
            held: false,
        })
    }

    /// Whether a TLS handshake is still going on.
    pub(crate) fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|tls| tls.handshaking())
    }

    /// Reads what the socket has, up to the turn's budget, reporting each read as `Data`, echoing it when
    /// the session echoes, and sending what the reply rules answer. The peer's FIN is reported as
    /// [`Event::HalfClosed`]; the connection then stays open while anything is left to send to it.
    pub(crate) fn read(&mut self, cx: &mut Cx) -> Result<ReadState, CloseReason> {
        let mut reads = 0;
        while reads < READS_PER_TURN {
            if self.peer_finished {
                return Ok(ReadState::Drained);
            }
            if cx.backlog_full() {
                return Ok(ReadState::More);
            }
            // An echo must not outgrow the queue: a peer that sends faster than it reads is slowed by TCP
            // flow control, as by any echo server, instead of losing part of its echo.
            if cx.echo && self.queued > cx.max_queue_bytes / 2 {
                self.read_paused = true;
                return Ok(ReadState::Drained);
            }
            let Some(bytes) = self.read_once(cx)? else {
                return Ok(ReadState::Drained);
            };
            reads += 1;
            cx.data(self.peer, Direction::Rx, bytes.clone());
            if cx.echo {
                self.send(bytes.clone(), cx)?;
            }
            for answer in cx.replies(self.peer, self.addr, &bytes, false) {
                if answer.onward {
                    cx.error(no_other_side(self.peer));
                } else {
                    self.send(answer.bytes, cx)?;
                }
            }
        }
        Ok(ReadState::More)
    }

    /// One read: the bytes, or `None` when nothing more can be read now (the socket is drained, or the
    /// peer's FIN came, reported as [`Event::HalfClosed`]). Nothing is reported for the bytes.
    pub(crate) fn read_once(&mut self, cx: &mut Cx) -> Result<Option<Bytes>, CloseReason> {
        loop {
            let got = if self.tls.is_some() {
                self.read_tls(cx)?
            } else {
                match self.stream.read(cx.read_buf()) {
                    Ok(0) => self.zero_read(None),
                    Ok(n) => Got::Plain(n),
                    Err(e) => Got::Failed(e),
                }
            };
            match got {
                Got::End(tls) => {
                    self.peer_finished = true;
                    cx.emit(Event::HalfClosed {
                        peer: self.peer,
                        side: Side::Peer,
                        tls,
                        at: SystemTime::now(),
                    });
                    self.flush(cx)?;
                    return Ok(None);
                }
                // A TLS read that held no application data (handshake, part of a record): read on.
                Got::Plain(0) => {}
                Got::Plain(n) => return Ok(Some(cx.take_read(n))),
                Got::Failed(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Got::Failed(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Got::Failed(e) => return Err(self.reason(Operation::Receive, &e)),
            }
        }
    }

    /// What a socket read of nothing means: the peer's FIN (with TLS, `how` it came), or, on a connection
    /// a write found reset with no FIN before the RST, the reset (a socket reset reads as ended).
    fn zero_read(&self, how: Option<TlsClose>) -> Got {
        if self.sending == (Sending::Reset { fin: false }) {
            Got::Failed(io::ErrorKind::ConnectionReset.into())
        } else {
            Got::End(how)
        }
    }

    /// One socket read on a TLS connection, decrypted: the plaintext it held (at the start of the read
    /// buffer; possibly none), or the end of the peer's sending. A handshake that finished is reported,
    /// and what it lets go (handshake answers, queued sends) is written.
    fn read_tls(&mut self, cx: &mut Cx) -> Result<Got, CloseReason> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(Got::Plain(0));
        };
        if tls.close_pending {
            return Ok(Got::End(Some(TlsClose::CloseNotify)));
        }
        let (raw, plain) = cx.tls_buffers(RAW_READ);
        let n = match self.stream.read(raw) {
            Ok(0) if tls.handshaking() => {
                let failure = tls.closed_in_handshake();
                return Err(self.tls_failed(failure, false));
            }
            Ok(0) => {
                let how = tls.fin_without_close_notify();
                return Ok(self.zero_read(Some(how)));
            }
            Ok(n) => n,
            Err(e) => return Ok(Got::Failed(e)),
        };
        let received = match tls.receive(&raw[..n], plain) {
            Ok(received) => received,
            Err(failure) => {
                // The alert rustls queued tells the peer why, when the socket takes it.
                let _ = tls.write_records(&mut self.stream);
                let reset = !self.read_left(cx);
                return Err(self.tls_failed(failure, reset));
            }
        };
        if received.established {
            let info = Box::new(tls.info());
            cx.emit(Event::TlsEstablished {
                peer: self.peer,
                info,
                at: SystemTime::now(),
            });
        }
        // Handshake answers, session tickets and sends held back by the handshake go out now; the
        // plaintext stays where it is, at the start of the read buffer. Once the connection is found
        // reset nothing goes out, and what the peer sent before its RST is still read: the reset ends
        // the connection at the end of it.
        match self.flush(cx) {
            Err(CloseReason::Reset) if matches!(self.sending, Sending::Reset { .. }) => {}
            flushed => flushed?,
        }
        if received.peer_closed {
            if received.plain > 0 {
                // The data is reported first, the close_notify by the next read.
                if let Some(tls) = self.tls.as_mut() {
                    tls.close_pending = true;
                }
            } else {
                return Ok(Got::End(Some(TlsClose::CloseNotify)));
            }
        }
        Ok(Got::Plain(received.plain))
    }

    /// The close reason for a TLS failure on this connection; `reset` when the close is to be a reset
    /// ([`NetError::reset`]).
    fn tls_failed(&self, failure: TlsFailure, reset: bool) -> CloseReason {
        let mut error = NetError::tls(Operation::Tls, Some(self.addr.to_string()), failure);
        error.reset = reset;
        CloseReason::Error(error)
    }

    /// After a TLS failure, reads what the peer sent and was not read yet (it belongs in a failed
    /// handshake's record), so that the close is the FIN of an orderly close rather than the RST of a
    /// socket closed with bytes unread. False when the peer is still sending after [`LEFT_READS`]
    /// reads: the close is then a reset.
    fn read_left(&mut self, cx: &mut Cx) -> bool {
        for _ in 0..LEFT_READS {
            let (raw, _) = cx.tls_buffers(RAW_READ);
            match self.stream.read(raw) {
                Ok(0) => return true,
                Ok(n) => {
                    if let Some(tls) = self.tls.as_mut() {
                        tls.keep_unread(&raw[..n]);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Nothing more for now; or the socket failed, and nothing more will come.
                Err(_) => return true,
            }
        }
        false
    }

    /// Queues `bytes` as one send and writes as much as the socket takes now. A send that does not fit in
    /// the queue is dropped whole and reported, so a peer that stops reading never holds more than the
    /// limit; so is a send after we finished sending.
    pub(crate) fn send(&mut self, bytes: Bytes, cx: &mut Cx) -> Outcome {
        if bytes.is_empty() {
            return Ok(());
        }
        if matches!(self.sending, Sending::Finishing | Sending::Finished) {
            cx.error(NetError::invalid(
                Operation::Send,
                Some(self.addr.to_string()),
                "you finished sending to this peer (FIN); nothing more can be sent on this connection",
            ));
            return Ok(());
        }
        if self.queued + bytes.len() > cx.max_queue_bytes {
            cx.emit(Event::SendDropped {
                peer: self.peer,
                len: bytes.len(),
                queued: self.queued,
                at: SystemTime::now(),
            });
            return Ok(());
        }
        self.enqueue(bytes, None, cx)
    }

    /// Relay: queues bytes read from the partner, reported as [`Event::Forwarded`] once written. They
    /// are never dropped: the relay stops reading the partner while this queue is long, which bounds it.
    pub(crate) fn forward(&mut self, bytes: Bytes, cx: &mut Cx) -> Outcome {
        if bytes.is_empty() {
            return Ok(());
        }
        self.enqueue(bytes, self.partner, cx)
    }

    fn enqueue(&mut self, bytes: Bytes, origin: Option<PeerId>, cx: &mut Cx) -> Outcome {
        self.queued += bytes.len();
        self.queue.push_back(bytes);
        self.origins.push_back(origin);
        self.flush(cx)
    }

    /// Makes this connection one side of a relay pair whose other side is `partner`.
    pub(crate) fn pair_with(&mut self, partner: PeerId) {
        self.partner = Some(partner);
    }

    /// Keeps the connection open past the peer's FIN until [`Conn::release`]: the caller sends to the
    /// peer on seeing it connect ([`super::SessionConfig::sends_on_connect`]), and a peer that sends and
    /// finishes at once is still reading what comes.
    pub(crate) fn hold(&mut self) {
        self.held = true;
    }

    /// The caller's sends on connect were taken (they are queued, or written): the connection ends on
    /// the peer's FIN again once nothing is left to send to it, which may be now.
    pub(crate) fn release(&mut self, cx: &mut Cx) -> Outcome {
        if std::mem::take(&mut self.held) {
            self.flush(cx)
        } else {
            Ok(())
        }
    }

    /// The peer finished sending (its FIN was read).
    pub(crate) fn peer_finished(&self) -> bool {
        self.peer_finished
    }

    /// Sends are still taken: we have not finished sending, nor been asked to.
    pub(crate) fn sends(&self) -> bool {
        self.sending == Sending::Open
    }

    /// Our FIN went out.
    pub(crate) fn finished_sending(&self) -> bool {
        self.sending == Sending::Finished
    }

    /// Asks to finish sending: the FIN goes once what is queued has been written.
    pub(crate) fn half_close(&mut self, cx: &mut Cx) -> Outcome {
        if self.sending == Sending::Open {
            self.sending = Sending::Finishing;
        }
        self.flush(cx)
    }

    /// Writes queued sends until the queue is empty or the socket is full, reporting each send as `Data`
    /// once its last byte is written. With the queue empty it sends our FIN if the user asked for one,
    /// and ends the connection ([`CloseReason::PeerClosed`]) if the peer has finished sending and nothing
    /// more is scheduled for it, nor held for the caller's sends on connect ([`Conn::hold`]).
    pub(crate) fn flush(&mut self, cx: &mut Cx) -> Outcome {
        if matches!(self.sending, Sending::Reset { .. }) {
            return Err(CloseReason::Reset);
        }
        loop {
            if !self.write_records(cx)? {
                return Ok(());
            }
            let Some(front) = self.queue.front() else {
                break;
            };
            let rest = &front[self.front_written..];
            match self.tls.as_mut() {
                // Plaintext waits for the handshake; the records made of it are written on the next turn
                // of this loop, and the send counts as written once they all are.
                Some(tls) if tls.handshaking() => return Ok(()),
                Some(tls) => {
                    if let Err(e) = tls.accept(rest) {
                        return Err(self.reason(Operation::Send, &e));
                    }
                }
                None => match self.stream.write(rest) {
                    Ok(0) => {
                        return Err(CloseReason::Error(NetError::io(
                            Operation::Send,
                            Some(self.addr.to_string()),
                            &io::Error::from(io::ErrorKind::WriteZero),
                        )));
                    }
                    Ok(n) => self.wrote(n, cx),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(self.write_failed(&e)),
                },
            }
        }
        if self.sending == Sending::Finishing {
            // TLS ends our sending with a close_notify, written before the FIN.
            if let Some(tls) = self.tls.as_mut().filter(|tls| !tls.close_sent) {
                tls.close_notify();
                if !self.write_records(cx)? {
                    return Ok(());
                }
            }
            self.sending = Sending::Finished;
            if let Err(e) = self.stream.shutdown(std::net::Shutdown::Write) {
                return Err(self.write_failed(&e));
            }
            cx.emit(Event::HalfClosed {
                peer: self.peer,
                side: Side::Local,
                tls: self.tls.as_ref().map(|_| TlsClose::CloseNotify),
                at: SystemTime::now(),
            });
        }
        if self.peer_finished
            && self.partner.is_none()
            && !self.held
            && !cx.has_scheduled(self.peer)
        {
            return Err(CloseReason::PeerClosed);
        }
        Ok(())
    }

    /// TLS: writes the records waiting to go out; once none is left, the plaintext they carried counts as
    /// written. `Ok(false)` when the socket is full. Plain TCP has none.
    fn write_records(&mut self, cx: &mut Cx) -> Result<bool, CloseReason> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(true);
        };
        match tls.write_records(&mut self.stream) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => return Err(self.write_failed(&e)),
        }
        let carried = std::mem::take(&mut tls.pending);
        if carried > 0 {
            self.wrote(carried, cx);
        }
        Ok(true)
    }

    /// `n` more bytes of the front send are on the socket; a send whose last byte is reported.
    fn wrote(&mut self, n: usize, cx: &mut Cx) {
        self.front_written += n;
        self.front_written_at = SystemTime::now();
        self.queued -= n;
        if self
            .queue
            .front()
            .is_some_and(|front| self.front_written == front.len())
        {
            self.front_written = 0;
            if let Some(sent) = self.queue.pop_front() {
                self.written(sent, cx);
            }
        }
    }

    /// Reports a send whose last byte was written: as `Data`, or as forwarded from the relay partner.
    fn written(&mut self, sent: Bytes, cx: &mut Cx) {
        match self.origins.pop_front().flatten() {
            Some(from) => cx.emit(Event::Forwarded {
                from,
                to: self.peer,
                bytes: sent,
                at: SystemTime::now(),
            }),
            None => cx.data(self.peer, Direction::Tx, sent),
        }
    }

    /// Handles a readiness event: flushes on writable, reads on readable (or error, to learn what it is),
    /// or when a flush made room for reading paused by the echo.
    pub(crate) fn ready(
        &mut self,
        event: &mio::event::Event,
        cx: &mut Cx,
    ) -> Result<ReadState, CloseReason> {
        if event.is_writable() {
            self.flush(cx)?;
        }
        let resume = self.read_paused && self.queued <= cx.max_queue_bytes / 2;
        if resume {
            self.read_paused = false;
        }
        if resume || event.is_readable() || event.is_read_closed() || event.is_error() {
            self.read(cx)
        } else {
            Ok(ReadState::Drained)
        }
    }

    /// Bytes queued and not yet written.
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// Resets the connection (an RST, not a FIN: `SO_LINGER` 0) and reports it closed for `reason`, as
    /// [`Conn::close`] does; a relay passes on its partner's reset or failure this way.
    pub(crate) fn abort(self, reason: CloseReason, cx: &mut Cx) {
        self.reset_on_close();
        self.close(reason, cx);
    }

    /// Makes the close an RST, not a FIN (`SO_LINGER` 0).
    fn reset_on_close(&self) {
        // Should the option be refused, the close still ends the connection, with a FIN.
        let _ = SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }

    /// Closes the connection and reports why, after reporting what the peer sent before its RST when a
    /// write found the connection reset ([`Conn::read_before_reset`]), what was still queued as unsent
    /// and the raw bytes of a TLS handshake that did not finish ([`Event::TlsRaw`]). Kicked and
    /// stopped peers get a clean FIN; a TLS failure with the peer still sending ([`NetError::reset`])
    /// an RST.
    pub(crate) fn close(mut self, reason: CloseReason, cx: &mut Cx) {
        self.read_before_reset(cx);
        if matches!(&reason, CloseReason::Error(error) if error.reset) {
            self.reset_on_close();
        }
        self.report_unfinished_handshake(&reason, cx);
        // A TLS connection that ends in order ends with our close_notify too (if the socket takes it now):
        // a peer that closed its side waits for it (a bidirectional shutdown, as Python's `unwrap`).
        if matches!(
            reason,
            CloseReason::PeerClosed | CloseReason::Kicked | CloseReason::SessionStopped
        ) && let Some(tls) = self.tls.as_mut()
            && !tls.handshaking()
        {
            tls.close_notify();
            let _ = tls.write_records(&mut self.stream);
        }
        // Deregistering can only fail if the socket is already gone from the poll; closing follows anyway.
        let _ = cx.registry.deregister(&mut self.stream);
        let (delayed_bytes, delayed_replies) = cx.forget(self.peer);
        let sends = self.queue.len() + delayed_replies;
        if sends > 0 {
            let written = self
                .queue
                .front()
                .map_or_else(Bytes::new, |front| front.slice(..self.front_written));
            cx.emit(Event::Unsent {
                peer: self.peer,
                written,
                written_at: self.front_written_at,
                bytes: self.queued + delayed_bytes,
                sends,
                at: SystemTime::now(),
            });
        }
        cx.emit(Event::Closed {
            peer: self.peer,
            reason,
            at: SystemTime::now(),
        });
    }

    /// Reports the raw bytes of a TLS handshake that did not finish, as they went over the wire.
    fn report_unfinished_handshake(&mut self, reason: &CloseReason, cx: &mut Cx) {
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        let peer_plain = matches!(
            reason,
            CloseReason::Error(NetError { tls: Some(failure), .. })
                if matches!(**failure, TlsFailure::PlainClient { .. } | TlsFailure::PlainServer { .. })
        );
        for raw in tls.unfinished_handshake() {
            cx.emit(Event::TlsRaw {
                peer: self.peer,
                dir: raw.dir,
                records: raw.dir == Direction::Tx || !peer_plain,
                bytes: Bytes::from(raw.bytes),
                at: raw.at,
            });
        }
    }

    /// The close reason for a write (or our FIN) that failed. When the peer reset the connection, what
    /// it sent before its RST is still queued on the socket, to be read as it closes
    /// ([`Conn::read_before_reset`]).
    fn write_failed(&mut self, e: &io::Error) -> CloseReason {
        let pending;
        let e = if e.kind() == io::ErrorKind::NotConnected {
            pending = self.pending();
            &pending
        } else {
            e
        };
        let reason = self.reason(Operation::Send, e);
        if reason == CloseReason::Reset {
            // Linux fails the write with a broken pipe when the RST came after the peer's FIN (the
            // peer had closed its side), with the reset itself when it came before.
            self.sending = Sending::Reset {
                fin: e.kind() == io::ErrorKind::BrokenPipe,
            };
        }
        reason
    }

    /// Reads, on a connection a write found reset, what the peer sent before its RST (the socket still
    /// holds it), at most [`LEFT_READS`] reads: its `Rx` data, and its FIN if it came. A relay side
    /// never forwards these bytes: they are its partner's unsent.
    fn read_before_reset(&mut self, cx: &mut Cx) {
        if self.peer_finished || !matches!(self.sending, Sending::Reset { .. }) {
            return;
        }
        for _ in 0..LEFT_READS {
            let Ok(Some(bytes)) = self.read_once(cx) else {
                return;
            };
            // Its row first, then that it never went on, as for any read that could not be passed on.
            let len = bytes.len();
            cx.data(self.peer, Direction::Rx, bytes);
            if let Some(partner) = self.partner {
                cx.unsent(partner, len, 1);
            }
        }
    }

    fn reason(&self, op: Operation, e: &io::Error) -> CloseReason {
        match e.kind() {
            // A write after the peer's RST fails with a broken pipe: the peer is gone, not us.
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => CloseReason::Reset,
            io::ErrorKind::TimedOut => CloseReason::TimedOut,
            io::ErrorKind::NotConnected => self.reason(op, &self.pending()),
            _ => CloseReason::Error(NetError::io(op, Some(self.addr.to_string()), e)),
        }
    }

    /// What ended the connection when a socket call failed with "not connected": a shutdown (our FIN)
    /// after the peer's RST closed the socket fails so, not with the reset. The socket's pending error
    /// says what ended it (a reset when it says nothing, as only a reset or a time-out closes a
    /// connected socket unasked).
    fn pending(&self) -> io::Error {
        match self.stream.take_error() {
            Ok(Some(pending)) if pending.kind() != io::ErrorKind::NotConnected => pending,
            _ => io::ErrorKind::ConnectionReset.into(),
        }
    }
}

/// What one read of the socket gave.
enum Got {
    /// This many bytes of plaintext are at the start of the read buffer (0: a TLS read that held none).
    Plain(usize),
    /// The peer finished sending: a FIN (with TLS, how it came).
    End(Option<TlsClose>),
    /// The socket read failed (`WouldBlock` when there is nothing more for now).
    Failed(io::Error),
}

/// Socket options every connection gets: no Nagle delay, so what the user sends leaves at once as they
/// wrote it; keep-alive, so a board that was unplugged is reported as timed out instead of lingering.
fn tune(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let keepalive = TcpKeepalive::new()
        .with_time(Duration::from_secs(30))
        .with_interval(Duration::from_secs(5));
    SockRef::from(stream).set_tcp_keepalive(&keepalive)
}
