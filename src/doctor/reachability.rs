//! Whether a target answers, and how long it took: a TCP connect (made, refused, timed out, unreachable),
//! or an empty UDP datagram from a connected socket, whose ICMP "port unreachable" comes back as an error
//! on the next receive (Linux: `ECONNREFUSED`; Windows: `WSAECONNRESET`). [`probe`] does the I/O; the
//! reading of its result, [`tcp_outcome`] and [`udp_outcome`], is pure.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

use super::{Finding, Protocol};
use crate::engine::{NetError, Operation, Problem};

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// Tests `target` over `protocol`, waiting at most `timeout` for an answer.
#[must_use]
pub fn probe(target: SocketAddr, protocol: Protocol, timeout: Duration) -> Finding {
    let started = Instant::now();
    match protocol {
        Protocol::Tcp => {
            let result = Socket::new(Domain::for_address(target), Type::STREAM, None)
                .and_then(|socket| socket.connect_timeout(&target.into(), timeout));
            tcp_outcome(target, result.map(drop), started.elapsed())
        }
        Protocol::Udp => udp_outcome(target, udp_exchange(target, timeout), started.elapsed()),
    }
}

/// Sends an empty datagram to `target` from a connected socket and waits for what comes back.
fn udp_exchange(target: SocketAddr, timeout: Duration) -> io::Result<usize> {
    let any: IpAddr = if target.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    let socket = UdpSocket::bind((any, 0))?;
    socket.connect(target)?;
    socket.set_read_timeout(Some(timeout))?;
    socket.send(&[])?;
    socket.recv(&mut [0; 2048])
}

/// What a TCP connect's result says, after `elapsed`.
#[must_use]
pub fn tcp_outcome(target: SocketAddr, result: io::Result<()>, elapsed: Duration) -> Finding {
    let millis = millis(elapsed);
    let error = match result {
        Ok(()) => return Finding::Connected { target, millis },
        Err(error) => NetError::io(Operation::Connect, Some(target.to_string()), &error),
    };
    match error.problem() {
        Problem::Refused => Finding::Refused { target, millis },
        Problem::TimedOut => Finding::TimedOut { target, millis },
        Problem::Unreachable => Finding::Unreachable { target, millis },
        _ => Finding::ProbeFailed { error },
    }
}

/// What a UDP exchange's result (bytes of the answer, or the error) says, after `elapsed`.
#[must_use]
pub fn udp_outcome(target: SocketAddr, result: io::Result<usize>, elapsed: Duration) -> Finding {
    let millis = millis(elapsed);
    let error = match result {
        Ok(_) => return Finding::UdpAnswered { target, millis },
        Err(error) => NetError::io(Operation::Receive, Some(target.to_string()), &error),
    };
    match error.problem() {
        // Linux reports the ICMP as a refusal, Windows as a reset.
        Problem::Refused | Problem::Reset => Finding::UdpNothingListening { target },
        Problem::TimedOut => Finding::UdpSilent { target, millis },
        Problem::Unreachable => Finding::Unreachable { target, millis },
        // A receive time-out is `WouldBlock` on Unix.
        _ if error.kind == io::ErrorKind::WouldBlock => Finding::UdpSilent { target, millis },
        _ => Finding::ProbeFailed { error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    fn target() -> SocketAddr {
        "192.168.1.50:5000".parse().unwrap()
    }

    #[test]
    fn tcp_results_are_told_apart() {
        let ms = Duration::from_millis(3);
        let t = target();
        assert_eq!(
            tcp_outcome(t, Ok(()), ms),
            Finding::Connected {
                target: t,
                millis: 3
            }
        );
        assert_eq!(
            tcp_outcome(t, Err(ErrorKind::ConnectionRefused.into()), ms),
            Finding::Refused {
                target: t,
                millis: 3
            }
        );
        assert_eq!(
            tcp_outcome(t, Err(ErrorKind::TimedOut.into()), ms),
            Finding::TimedOut {
                target: t,
                millis: 3
            }
        );
        assert_eq!(
            tcp_outcome(t, Err(ErrorKind::NetworkUnreachable.into()), ms),
            Finding::Unreachable {
                target: t,
                millis: 3
            }
        );
        assert!(matches!(
            tcp_outcome(t, Err(ErrorKind::Other.into()), ms),
            Finding::ProbeFailed { .. }
        ));
    }

    #[test]
    fn udp_results_are_told_apart_on_either_os() {
        let ms = Duration::from_secs(1);
        let t = target();
        for icmp in [ErrorKind::ConnectionRefused, ErrorKind::ConnectionReset] {
            assert_eq!(
                udp_outcome(t, Err(icmp.into()), ms),
                Finding::UdpNothingListening { target: t }
            );
        }
        for silence in [ErrorKind::WouldBlock, ErrorKind::TimedOut] {
            assert_eq!(
                udp_outcome(t, Err(silence.into()), ms),
                Finding::UdpSilent {
                    target: t,
                    millis: 1000
                }
            );
        }
        assert_eq!(
            udp_outcome(t, Ok(4), ms),
            Finding::UdpAnswered {
                target: t,
                millis: 1000
            }
        );
    }
}
