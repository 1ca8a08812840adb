//! Many TCP clients held by a child process, for the benches that measure the app with thousands of peers:
//! each process then needs only one descriptor per connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// The flag that makes a bench binary the child: `--hold-clients ADDR COUNT`.
const FLAG: &str = "--hold-clients";

/// When this process was started as the child, opens the clients, holds them until stdin closes and
/// returns `true`; the bench's `main` then returns at once.
pub fn child(args: &[String]) -> bool {
    let [flag, addr, count] = args else {
        return false;
    };
    if flag != FLAG {
        return false;
    }
    hold_clients(addr.parse().unwrap(), count.parse().unwrap());
    true
}

/// Opens `count` connections to `addr`, each sending one line, and holds them until stdin closes.
fn hold_clients(addr: SocketAddr, count: usize) {
    raise_descriptor_limit(count);
    let held: Vec<TcpStream> = (0..count)
        .map(|i| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(format!("client {i}\n").as_bytes())
                .unwrap();
            stream
        })
        .collect();
    println!("connected {}", held.len());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// Raises the soft descriptor limit to what `count` connections need, or as far as the hard limit
/// allows; whether that is enough.
#[cfg(unix)]
pub fn raise_descriptor_limit(count: usize) -> bool {
    let want = count as u64 + 1000;
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
    if soft < want {
        let _ = rlimit::Resource::NOFILE.set(want.min(hard), hard);
    }
    rlimit::Resource::NOFILE.get().unwrap().0 >= want
}

/// Windows sockets are handles, with no per-process limit to raise.
#[cfg(not(unix))]
pub fn raise_descriptor_limit(_count: usize) -> bool {
    true
}

/// Starts the child that opens `count` clients to `addr`, each sending one line, runs `serve` (which
/// returns once all are in), then lets the child go.
pub fn with_clients<T>(addr: SocketAddr, count: usize, serve: impl FnOnce() -> T) -> T {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([FLAG, &addr.to_string(), &count.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let result = serve();
    drop(child.stdin.take());
    child.wait().unwrap();
    result
}
