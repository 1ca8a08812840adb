//! Build script: gives the Windows exe its icon and version information (the Properties → Details tab,
//! Task Manager's name). For every other target it does nothing.

fn main() -> std::io::Result<()> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=assets/icon.ico");
    // Build scripts run on the build machine, so `cfg!(windows)` would describe the host, not the exe.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return Ok(());
    }
    // The version numbers come from Cargo.toml's `version`. The names are plain ASCII so the resource
    // compiler needs no code page for them.
    let mut resource = winresource::WindowsResource::new();
    resource
        .set_icon("assets/icon.ico")
        .set("ProductName", "NetAssist")
        .set("FileDescription", "NetAssist")
        .set("OriginalFilename", "netassist.exe");
    resource.compile()
}
