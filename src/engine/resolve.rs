//! Turning a host as the user typed it (an IP address, an IPv6 one with its scope, or a host name) into
//! socket addresses, for the TCP client's server and the UDP session's default remote. Done once, when the
//! session starts, on its worker thread.

use std::net::{SocketAddr, ToSocketAddrs};

use crate::addr::{self, AddrError, Host};

use super::{NetError, Operation};

/// The addresses `host` stands for at `port`, in the resolver's order. An IP address is taken as it is
/// (scope included, an interface name turned into its index) without asking a name server.
pub(crate) fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    let typed = host.trim();
    match addr::parse_host(typed) {
        Ok(Host::Ip(ip)) => Ok(vec![ip.with_port(port)]),
        Ok(Host::Name(name)) => Ok((name, port)
            .to_socket_addrs()
            .map_err(|e| NetError::io(Operation::Resolve, Some(typed.to_owned()), &e))?
            .collect()),
        Err(error) => {
            let detail = match error {
                AddrError::NotHost(_) => {
                    "use an IP address such as 192.168.1.10 or a host name such as board.local"
                        .to_owned()
                }
                other => other.to_string(),
            };
            Err(NetError::invalid(
                Operation::Resolve,
                Some(typed.to_owned()),
                detail,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_taken_as_they_are_scope_included() {
        for (host, want) in [
            ("127.0.0.1", "127.0.0.1:7"),
            ("::1", "[::1]:7"),
            ("[::1]", "[::1]:7"),
            ("fe80::1%2", "[fe80::1%2]:7"),
        ] {
            assert_eq!(
                resolve(host, 7).unwrap(),
                vec![want.parse().unwrap()],
                "{host}"
            );
        }
    }

    #[test]
    fn typos_are_not_hosts() {
        for bad in [
            "",
            "192.168.1.300",
            "1.2.3",
            "my board",
            "board!",
            "-x.com",
            "a..b",
            "例子",
        ] {
            assert_eq!(resolve(bad, 7).unwrap_err().op, Operation::Resolve, "{bad}");
        }
        let error = resolve("fe80::1%no-such-nic0", 7).unwrap_err();
        assert!(error.to_string().contains("no-such-nic0"), "{error}");
    }
}
