//! The `netassist` binary. The desktop window arrives with the GUI; until then this prints usage.

// mimalloc keeps freed blocks for reuse; with the system allocator every received block was faulted in
// afresh and the engine's ingest rate halved (see benches/engine.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    println!(
        "NetAssist {} (网络调试助手): a TCP/UDP network debug assistant.\n\
         The desktop window is not part of this build yet; the socket engine lives in the library\n\
         and is exercised by `cargo test`.",
        env!("CARGO_PKG_VERSION")
    );
}
