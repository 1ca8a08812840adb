//! Relay benchmark: 100 MiB each way at once through a relay session (its events drained by a consumer
//! thread, as a window or the command line does), beside a plain std relay (a thread per direction doing
//! `std::io::copy`) measured in the same run, since only the ratio compares across machines. Every run
//! checks that each direction arrived byte-exact (length and FNV-1a hash). Run with
//! `cargo bench --bench relay`.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use netassist::engine::{self, Event, HostPort, Mode, SessionConfig};

// The same allocator as the app, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 5;
const BYTES: usize = 100 << 20;

fn main() {
    println!("NetAssist relay benchmark (medians of {ROUNDS} alternating rounds)\n");
    println!("| figure | std copy relay | relay session | session / std |");
    println!("|---|---|---|---|");
    let (mut base, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        base.push(std_round());
        ours.push(session_round());
    }
    let (base, ours) = (median(base), median(ours));
    println!(
        "| 100 MiB each way at once | {base:.1} MB/s | {ours:.1} MB/s | {:.2}x |",
        ours / base
    );
}

/// The stream of the direction `seed`: every byte depends on its position, so a lost, repeated or
/// reordered piece changes the hash.
fn chunk(seed: u8, index: usize, buf: &mut [u8]) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte = (index.wrapping_mul(31).wrapping_add(i * 7) as u8) ^ seed;
    }
}

/// FNV-1a over `bytes`, continued from `hash`.
fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Writes [`BYTES`] of stream `seed`, then finishes sending; returns the hash of what it wrote.
fn send(mut stream: TcpStream, seed: u8) -> u64 {
    let mut buf = vec![0; 64 * 1024];
    let mut hash = FNV_START;
    for index in 0..BYTES / buf.len() {
        chunk(seed, index, &mut buf);
        hash = fnv(hash, &buf);
        stream.write_all(&buf).unwrap();
    }
    stream.shutdown(Shutdown::Write).unwrap();
    hash
}

/// Reads to the end; the length and hash of what came.
fn receive(mut stream: TcpStream) -> (usize, u64) {
    let mut buf = vec![0; 64 * 1024];
    let (mut total, mut hash) = (0, FNV_START);
    loop {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            return (total, hash);
        }
        hash = fnv(hash, &buf[..n]);
        total += n;
    }
}

/// Through the relay at `relay`, to the server `target` listens as: a device sends [`BYTES`] while the
/// server sends as much back; returns MB/s, both directions together, checking both arrived exact.
fn measure(relay: SocketAddr, target: &TcpListener) -> f64 {
    let device = TcpStream::connect(relay).unwrap();
    let (server, _) = target.accept().unwrap();
    let started = Instant::now();
    std::thread::scope(|s| {
        let device_sends = {
            let device = device.try_clone().unwrap();
            s.spawn(move || send(device, 1))
        };
        let server_sends = {
            let server = server.try_clone().unwrap();
            s.spawn(move || send(server, 2))
        };
        let server_got = s.spawn(move || receive(server));
        let device_got = receive(device);
        let server_got = server_got.join().unwrap();
        let rate = (2 * BYTES) as f64 / started.elapsed().as_secs_f64() / 1e6;
        assert_eq!(server_got, (BYTES, device_sends.join().unwrap()));
        assert_eq!(device_got, (BYTES, server_sends.join().unwrap()));
        rate
    })
}

/// The baseline: a std relay for one device, a thread per direction copying with `std::io::copy` and
/// passing the end on as a FIN.
fn std_round() -> f64 {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target_addr = target.local_addr().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = listener.local_addr().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let (device, _) = listener.accept().unwrap();
            let server = TcpStream::connect(target_addr).unwrap();
            let copy = |mut from: TcpStream, mut to: TcpStream| {
                std::io::copy(&mut from, &mut to).unwrap();
                to.shutdown(Shutdown::Write).unwrap();
            };
            let (device2, server2) = (device.try_clone().unwrap(), server.try_clone().unwrap());
            s.spawn(move || copy(device2, server2));
            copy(server, device);
        });
        measure(relay, &target)
    })
}

/// The relay session, its events taken by a consumer thread until both sides closed.
fn session_round() -> f64 {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let mode = Mode::Relay {
        bind: "127.0.0.1:0".parse().unwrap(),
        target: HostPort::from(target.local_addr().unwrap()),
        max_clients: None,
        timeout: Duration::from_secs(5),
    };
    let session = engine::start(SessionConfig::new(mode), || {}).unwrap();
    let relay = loop {
        match session.recv_timeout(Duration::from_secs(5)) {
            Some(Event::Listening { addr, .. }) => break addr,
            Some(_) => {}
            None => panic!("the relay did not open"),
        }
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let deadline = Instant::now() + Duration::from_mins(2);
            let mut closed = 0;
            while closed < 2 && Instant::now() < deadline {
                if let Some(Event::Closed { .. }) = session.recv_timeout(Duration::from_millis(100))
                {
                    closed += 1;
                }
            }
            assert_eq!(closed, 2, "the pair did not close");
        });
        measure(relay, &target)
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
