//! Datagrams the OS drops for a UDP socket because its receive buffer is full: where the OS says so
//! (Linux, `SO_RXQ_OVFL`), the count read with each datagram and reported as [`Event::Dropped`]; elsewhere
//! nothing, and the session says once that losses cannot be counted.

use std::time::SystemTime;

use super::Event;
use super::worker::Cx;

/// The OS's count of datagrams it dropped for the socket, as last seen, and how many are not reported yet.
#[derive(Default)]
pub(crate) struct Drops {
    /// The counter as the OS keeps it: 32 bits, counting since the socket was made, wrapping.
    counter: u32,
    total: u64,
    unreported: u64,
}

impl Drops {
    pub(crate) fn saw(&mut self, counter: u32) {
        let new = u64::from(counter.wrapping_sub(self.counter));
        self.counter = counter;
        self.total += new;
        self.unreported += new;
    }

    /// One event for all the drops seen since the last one, if there were any.
    pub(crate) fn report(&mut self, cx: &mut Cx) {
        if self.unreported > 0 {
            cx.emit(Event::Dropped {
                datagrams_total: self.total,
                new: self.unreported,
                at: SystemTime::now(),
            });
            self.unreported = 0;
        }
    }
}

/// Reading datagrams with the OS's count of the ones it dropped: Linux, asked with `SO_RXQ_OVFL`, puts the
/// socket's drop counter in a control message on each datagram once any was dropped.
#[cfg(target_os = "linux")]
pub(crate) mod os {
    use std::io::{self, IoSliceMut};
    use std::net::SocketAddr;
    use std::os::fd::AsRawFd;

    use mio::net::UdpSocket;
    use nix::sys::socket::{
        ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
    };
    use socket2::Socket;

    pub(crate) const DROPS_REPORTED: bool = true;

    /// Room for the one control message asked for, kept for the socket's life: no allocation per read.
    pub(crate) struct Control(Vec<u8>);

    impl Control {
        pub(crate) fn new() -> Self {
            Self(nix::cmsg_space!(u32))
        }
    }

    pub(crate) fn count_drops(socket: &Socket) -> io::Result<()> {
        setsockopt(socket, sockopt::RxqOvfl, &1).map_err(io::Error::from)
    }

    /// One datagram into `buf`: its length, its sender, and the drop counter if the OS attached it.
    pub(crate) fn recv_from(
        socket: &UdpSocket,
        buf: &mut [u8],
        control: &mut Control,
    ) -> io::Result<(usize, SocketAddr, Option<u32>)> {
        let mut iov = [IoSliceMut::new(buf)];
        let msg = recvmsg::<SockaddrStorage>(
            socket.as_raw_fd(),
            &mut iov,
            Some(&mut control.0),
            MsgFlags::empty(),
        )
        .map_err(io::Error::from)?;
        let addr = msg
            .address
            .as_ref()
            .and_then(|storage| {
                storage
                    .as_sockaddr_in()
                    .map(|v4| SocketAddr::from(*v4))
                    .or_else(|| storage.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6)))
            })
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no sender address"))?;
        // A control area too small for the counter (never, with the room asked for) only loses the count.
        let counter = msg
            .cmsgs()
            .ok()
            .into_iter()
            .flatten()
            .find_map(|message| match message {
                ControlMessageOwned::RxqOvfl(counter) => Some(counter),
                _ => None,
            });
        Ok((msg.bytes, addr, counter))
    }
}

/// Other OSes do not say when they drop datagrams; [`Event::ReceiveBuffer`] tells the user so.
#[cfg(not(target_os = "linux"))]
pub(crate) mod os {
    use std::io;
    use std::net::SocketAddr;

    use mio::net::UdpSocket;
    use socket2::Socket;

    pub(crate) const DROPS_REPORTED: bool = false;

    pub(crate) struct Control;

    impl Control {
        pub(crate) fn new() -> Self {
            Self
        }
    }

    #[allow(clippy::unnecessary_wraps)] // The Linux version can fail.
    pub(crate) fn count_drops(_socket: &Socket) -> io::Result<()> {
        Ok(())
    }

    pub(crate) fn recv_from(
        socket: &UdpSocket,
        buf: &mut [u8],
        _control: &mut Control,
    ) -> io::Result<(usize, SocketAddr, Option<u32>)> {
        socket.recv_from(buf).map(|(n, addr)| (n, addr, None))
    }
}
