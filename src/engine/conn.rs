//! One TCP connection as the server and the client both use it: non-blocking reads into the session's
//! shared buffer, and a bounded send queue flushed as the socket accepts bytes.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::{Buf, Bytes};
use mio::Interest;
use mio::net::TcpStream;
use socket2::{SockRef, TcpKeepalive};

use super::worker::Cx;
use super::{CloseReason, Direction, Event, NetError, Operation, PeerId};

/// Reads per readiness turn before other peers get their turn; with the 64 KiB buffer that is 256 KiB.
const READS_PER_TURN: usize = 4;

/// A connected TCP peer.
pub(crate) struct Conn {
    stream: TcpStream,
    pub(crate) peer: PeerId,
    pub(crate) addr: SocketAddr,
    queue: VecDeque<Bytes>,
    queued: usize,
}

/// Whether the connection is still usable after an operation.
pub(crate) type Outcome = Result<(), CloseReason>;

/// What a read turn left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadState {
    /// Everything available was read; wait for the next readiness event.
    Drained,
    /// The turn's budget ran out (or reading is paused) with data possibly left: read again soon.
    More,
}

impl Conn {
    /// Registers a freshly connected stream and reports it as `Connected`.
    pub(crate) fn open(
        mut stream: TcpStream,
        addr: SocketAddr,
        cx: &mut Cx,
    ) -> Result<Self, NetError> {
        let peer = cx.ids.next_id();
        let fail = |e: &io::Error| NetError::io(Operation::Setup, Some(addr.to_string()), e);
        tune(&stream).map_err(|e| fail(&e))?;
        cx.registry
            .register(
                &mut stream,
                Cx::token(peer),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| fail(&e))?;
        let local = stream.local_addr().map_err(|e| fail(&e))?;
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
            queued: 0,
        })
    }

    /// Reads what the socket has, up to the turn's budget, reporting each read as `Data`, echoing it when
    /// the session echoes, and sending what the reply rules answer.
    pub(crate) fn read(&mut self, cx: &mut Cx) -> Result<ReadState, CloseReason> {
        let mut reads = 0;
        while reads < READS_PER_TURN {
            if cx.backlog_full() {
                return Ok(ReadState::More);
            }
            match self.stream.read(cx.read_buf()) {
                Ok(0) => return Err(CloseReason::PeerClosed),
                Ok(n) => {
                    reads += 1;
                    let bytes = cx.take_read(n);
                    cx.data(self.peer, Direction::Rx, bytes.clone());
                    if cx.echo {
                        self.send(bytes.clone(), cx)?;
                    }
                    for reply in cx.replies(self.peer, self.addr, &bytes, false) {
                        self.send(reply, cx)?;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(ReadState::Drained),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.reason(Operation::Receive, &e)),
            }
        }
        Ok(ReadState::More)
    }

    /// Queues `bytes` and writes as much as the socket takes now. A send that does not fit in the queue is
    /// dropped whole and reported, so a peer that stops reading never holds more than the limit.
    pub(crate) fn send(&mut self, bytes: Bytes, cx: &mut Cx) -> Outcome {
        if bytes.is_empty() {
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
        self.queued += bytes.len();
        self.queue.push_back(bytes);
        self.flush(cx)
    }

    /// Writes queued bytes until the queue is empty or the socket is full, reporting what was written.
    pub(crate) fn flush(&mut self, cx: &mut Cx) -> Outcome {
        while let Some(front) = self.queue.front_mut() {
            match self.stream.write(front) {
                Ok(0) => {
                    return Err(CloseReason::Error(NetError::io(
                        Operation::Send,
                        Some(self.addr.to_string()),
                        &io::Error::from(io::ErrorKind::WriteZero),
                    )));
                }
                Ok(n) => {
                    let written = front.slice(..n);
                    front.advance(n);
                    if front.is_empty() {
                        self.queue.pop_front();
                    }
                    self.queued -= n;
                    cx.data(self.peer, Direction::Tx, written);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.reason(Operation::Send, &e)),
            }
        }
        Ok(())
    }

    /// Handles a readiness event: flushes on writable, reads on readable (or error, to learn what it is).
    pub(crate) fn ready(
        &mut self,
        event: &mio::event::Event,
        cx: &mut Cx,
    ) -> Result<ReadState, CloseReason> {
        if event.is_writable() {
            self.flush(cx)?;
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.read(cx)
        } else {
            Ok(ReadState::Drained)
        }
    }

    /// Closes the connection and reports why. Kicked and stopped peers get a clean FIN.
    pub(crate) fn close(mut self, reason: CloseReason, cx: &mut Cx) {
        // Deregistering can only fail if the socket is already gone from the poll; closing follows anyway.
        let _ = cx.registry.deregister(&mut self.stream);
        cx.forget(self.peer);
        cx.emit(Event::Closed {
            peer: self.peer,
            reason,
            at: SystemTime::now(),
        });
    }

    fn reason(&self, op: Operation, e: &io::Error) -> CloseReason {
        match e.kind() {
            // A write after the peer's RST fails with a broken pipe: the peer is gone, not us.
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => CloseReason::Reset,
            io::ErrorKind::TimedOut => CloseReason::TimedOut,
            _ => CloseReason::Error(NetError::io(op, Some(self.addr.to_string()), e)),
        }
    }
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
