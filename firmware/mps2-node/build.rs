//! Build-time configuration of the node: the board from the target, network settings and the run from
//! environment variables (all optional; the defaults suit QEMU's user networking):
//!
//! | variable            | default                  | meaning                                              |
//! |---------------------|--------------------------|------------------------------------------------------|
//! | `NODE_IP`           | `10.0.2.15/24`           | the node's address and prefix length                 |
//! | `NODE_GATEWAY`      | `10.0.2.2`               | default route                                        |
//! | `NODE_MAC`          | `02:00:00:00:00:01`      | Ethernet address (locally administered)              |
//! | `NODE_CARBON`       | `10.0.2.100:2004`        | carbon's pickle receiver (QEMU forwards it)          |
//! | `NODE_PREFIX`       | `sensors.<board>`        | metric path prefix                                   |
//! | `NODE_INTERVAL_S`   | `1`                      | seconds between samples                              |
//! | `NODE_INTERVALS`    | `5`                      | samples before the node flushes and exits            |
//!
//! With feature `tls`, two more, both required (there is no unverified mode):
//!
//! | variable               | meaning                                                                      |
//! |------------------------|------------------------------------------------------------------------------|
//! | `NODE_TLS_CA`          | path of the CA certificate (PEM or DER) the server's certificate must chain to |
//! | `NODE_TLS_SERVER_NAME` | the server's name: sent as SNI, matched against the certificate's names     |
//!
//! A relative `NODE_TLS_CA` is taken from the firmware workspace's directory (`firmware/`, where the
//! README's `cargo an386` runs), not from this script's own directory (cargo runs build scripts in the
//! package's directory, and tells them nothing about where `cargo` was started).
//!
//! Everything is parsed and checked here, so a bad setting fails the build, not the device.
//!
//! `embassy-node` builds with this same script (its build.rs includes this file): the link script, the map
//! and the settings are the same; only its default prefix differs (`sensors.<board>-embassy`), so both
//! images can send into one carbon.

use std::env;
use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;

fn setting(name: &str, default: &str) -> String {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).unwrap_or_else(|_| default.to_string())
}

fn fail(name: &str, value: &str, why: &str) -> ! {
    panic!("{name}={value:?}: {why}")
}

pub fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let package = env::var("CARGO_PKG_NAME").unwrap();
    // The boards' memory map, kept with the rest of the board support.
    let memory_x =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("../mps2-board/memory.x");
    fs::copy(&memory_x, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", memory_x.display());
    // The linker map, for the footprint report (tests/footprint.py).
    println!(
        "cargo:rustc-link-arg-bins=-Map={}",
        out.join(format!("{package}.map")).display()
    );

    let target = env::var("TARGET").unwrap();
    let board = match target.as_str() {
        "thumbv7em-none-eabihf" => "mps2-an386",
        "thumbv7m-none-eabi" => "mps2-an385",
        other => panic!(
            "mps2-node runs on thumbv7em-none-eabihf (MPS2 AN386) or thumbv7m-none-eabi (AN385), not {other}; \
             use `cargo an386` / `cargo an385`"
        ),
    };

    let ip = setting("NODE_IP", "10.0.2.15/24");
    let (addr, len) = ip
        .split_once('/')
        .unwrap_or_else(|| fail("NODE_IP", &ip, "want a.b.c.d/len"));
    let addr: Ipv4Addr = addr
        .parse()
        .unwrap_or_else(|_| fail("NODE_IP", &ip, "bad address"));
    let len: u8 = len
        .parse()
        .ok()
        .filter(|l| (1..=32).contains(l))
        .unwrap_or_else(|| fail("NODE_IP", &ip, "bad prefix length"));

    let gw = setting("NODE_GATEWAY", "10.0.2.2");
    let gw: Ipv4Addr = gw
        .parse()
        .unwrap_or_else(|_| fail("NODE_GATEWAY", &gw, "bad address"));

    let mac = setting("NODE_MAC", "02:00:00:00:00:01");
    let octets: Vec<u8> = mac
        .split(':')
        .map(|o| u8::from_str_radix(o, 16))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|_| fail("NODE_MAC", &mac, "want six hex octets"));
    if octets.len() != 6 || octets[0] & 1 != 0 {
        fail("NODE_MAC", &mac, "want six hex octets of a unicast address");
    }

    let carbon = setting("NODE_CARBON", "10.0.2.100:2004");
    let carbon: SocketAddrV4 = carbon
        .parse()
        .unwrap_or_else(|_| fail("NODE_CARBON", &carbon, "want a.b.c.d:port"));

    let default_prefix = match package.as_str() {
        "embassy-node" => format!("sensors.{board}-embassy"),
        _ => format!("sensors.{board}"),
    };
    let prefix = setting("NODE_PREFIX", &default_prefix);
    if prefix.is_empty()
        || prefix.split('.').any(|c| {
            c.is_empty()
                || !c
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        })
    {
        fail(
            "NODE_PREFIX",
            &prefix,
            "want dot-separated components of [A-Za-z0-9_-]",
        );
    }

    let interval = setting("NODE_INTERVAL_S", "1");
    let interval: u32 = interval
        .parse()
        .ok()
        .filter(|&s| (1..=3600).contains(&s))
        .unwrap_or_else(|| fail("NODE_INTERVAL_S", &interval, "want 1..=3600"));
    let intervals = setting("NODE_INTERVALS", "5");
    let intervals: u32 = intervals
        .parse()
        .ok()
        .filter(|&n| n >= 1)
        .unwrap_or_else(|| fail("NODE_INTERVALS", &intervals, "want at least 1"));

    let config = format!(
        "/// The board, from the target.\npub const BOARD: &str = {board:?};\n\
         /// The node's IPv4 address.\npub const IP: [u8; 4] = {ip:?};\n\
         /// Its prefix length.\npub const PREFIX_LEN: u8 = {len};\n\
         /// Default gateway.\npub const GATEWAY: [u8; 4] = {gw:?};\n\
         /// Ethernet address.\npub const MAC: [u8; 6] = {octets:?};\n\
         /// Carbon's pickle receiver.\npub const CARBON_IP: [u8; 4] = {cip:?};\n\
         /// Its port.\npub const CARBON_PORT: u16 = {cport};\n\
         /// Metric path prefix.\npub const PREFIX: &str = {prefix:?};\n\
         /// Seconds between samples.\npub const INTERVAL_S: u32 = {interval};\n\
         /// Samples before the node exits.\npub const INTERVALS: u32 = {intervals};\n",
        ip = addr.octets(),
        gw = gw.octets(),
        cip = carbon.ip().octets(),
        cport = carbon.port(),
    );
    fs::write(out.join("config.rs"), config).unwrap();

    if env::var_os("CARGO_FEATURE_TLS").is_some() {
        tls_config(&out);
    }
}

/// The CA (as DER, for `include_bytes!`) and the server name of a `tls` build.
fn tls_config(out: &std::path::Path) {
    println!("cargo:rerun-if-env-changed=NODE_TLS_CA");
    println!("cargo:rerun-if-env-changed=NODE_TLS_SERVER_NAME");
    let ca = env::var("NODE_TLS_CA").unwrap_or_else(|_| {
        panic!("feature tls: set NODE_TLS_CA to the CA certificate (PEM or DER) the server's certificate must chain to")
    });
    // Relative to the workspace (firmware/): this script runs in its package's directory, and cargo does
    // not say where it was started. Both packages that build with this script sit in firmware/.
    let workspace = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let path = workspace.join(&ca);
    println!("cargo:rerun-if-changed={}", path.display());
    let bytes = fs::read(&path).unwrap_or_else(|e| {
        let why = if std::path::Path::new(&ca).is_relative() {
            format!(
                "{}: {e} (a relative path is taken from the firmware workspace, {})",
                path.display(),
                workspace.display()
            )
        } else {
            e.to_string()
        };
        fail("NODE_TLS_CA", &ca, &why)
    });
    let der = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN CERTIFICATE-----") => {
            pem_to_der(text).unwrap_or_else(|| fail("NODE_TLS_CA", &ca, "bad PEM certificate"))
        }
        _ => bytes,
    };
    // A certificate is a DER SEQUENCE; anything else is not one.
    if der.len() < 64 || der[0] != 0x30 {
        fail("NODE_TLS_CA", &ca, "not an X.509 certificate (PEM or DER)");
    }
    fs::write(out.join("ca.der"), &der).unwrap();

    let name = env::var("NODE_TLS_SERVER_NAME").unwrap_or_else(|_| {
        panic!("feature tls: set NODE_TLS_SERVER_NAME to the server's name in its certificate")
    });
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
    {
        fail(
            "NODE_TLS_SERVER_NAME",
            &name,
            "want a DNS name of at most 64 characters",
        );
    }
    fs::write(
        out.join("tls.rs"),
        format!("/// The server's name (SNI and certificate check).\npub const SERVER_NAME: &str = {name:?};\n"),
    )
    .unwrap();
}

/// The first certificate of a PEM file, decoded.
fn pem_to_der(text: &str) -> Option<Vec<u8>> {
    let body = text.split("-----BEGIN CERTIFICATE-----").nth(1)?;
    let body = body.split("-----END CERTIFICATE-----").next()?;
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in body
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
