//! jump_fnv1a_ch against carbon-c-relay itself (Debian's `carbon-c-relay` 3.7, installed by
//! `scripts/setup.sh`).
//!
//! For random clusters of 3 to 10 members (instances numeric, named, missing, or mixed; replication 1 to
//! 3), `carbon-c-relay -t` reads metric lines and prints where each goes without sending anything; the Rust
//! router must name the same members in the same order for every name, non-ASCII names included.

use std::io::Write;
use std::process::{Command, Stdio};

use carbon_pickle::route::{Destination, HashType, Router};

/// xorshift64*: a fixed sequence, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PARTS: &[&str] = &[
    "servers",
    "web01",
    "cpu",
    "load",
    "température",
    "日本",
    "Москва",
    "ünïcødé",
    "😀",
    "p99",
    "héllo",
    "a-b_c",
    "x:y",
    "#tag",
    "ĳ",
    "Ω",
];

fn metric_name(rng: &mut Rng, i: usize) -> String {
    let mut name = String::new();
    for _ in 0..1 + rng.below(5) {
        name.push_str(PARTS[rng.below(PARTS.len())]);
        name.push('.');
    }
    name.push_str(&format!("m{i}"));
    if rng.below(8) == 0 {
        for _ in 0..3 {
            name.push(char::from_u32(0xa0 + rng.below(0x2000) as u32).unwrap_or('x'));
        }
    }
    name
}

/// Distinct instance names. Numbers and names starting with a letter, so that carbon-c-relay's
/// comparison (numbers as numbers, else bytes) is a total order and its sort has one answer.
fn instance(rng: &mut Rng, mode: usize, used: &mut Vec<String>) -> Option<String> {
    loop {
        let i = match (mode, rng.below(3)) {
            (0, _) | (3, 0) => rng.below(120).to_string(),
            (1, _) | (3, 1) => {
                let letters = "abcdefghxyz";
                let c = letters.as_bytes()[rng.below(letters.len())] as char;
                format!("{c}{}", rng.below(20))
            }
            _ => return None,
        };
        if !used.contains(&i) {
            used.push(i.clone());
            return Some(i);
        }
    }
}

#[test]
fn jump_matches_carbon_c_relay() {
    let dir = std::env::temp_dir().join(format!("carbon-pickle-jump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut compared, mut differed) = (0usize, 0usize);
    for config in 0..64 {
        let members = 3 + config % 8;
        let replication = 1 + rng.below(3);
        let mode = config % 4;
        let mut used = Vec::new();
        let dests: Vec<(String, u16, Option<String>)> = (0..members)
            .map(|m| {
                (
                    format!("10.{}.{}.{}", config, m, rng.below(256)),
                    2003 + rng.below(3) as u16,
                    instance(&mut rng, mode, &mut used),
                )
            })
            .collect();
        let conf = format!(
            "cluster c jump_fnv1a_ch replication {replication} {};\nmatch * send to c stop;\n",
            dests
                .iter()
                .map(|(h, p, i)| match i {
                    Some(i) => format!("{h}:{p}={i}"),
                    None => format!("{h}:{p}"),
                })
                .collect::<Vec<_>>()
                .join(" ")
        );
        let conf_path = dir.join("relay.conf");
        std::fs::write(&conf_path, &conf).unwrap();

        let mut router: Router<'_, 16> = Router::new(HashType::JumpFnv1aCh)
            .with_replication(replication)
            .unwrap();
        for (h, p, i) in &dests {
            router.add(Destination::new(h, *p, i.as_deref())).unwrap();
        }

        let names: Vec<String> = (0..5000).map(|i| metric_name(&mut rng, i)).collect();
        let mut input = String::new();
        for n in &names {
            input.push_str(n);
            input.push_str(" 1 1700000000\n");
        }
        let mut child = Command::new("carbon-c-relay")
            .arg("-f")
            .arg(&conf_path)
            .arg("-t")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("carbon-c-relay (scripts/setup.sh installs Debian's package)");
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();

        // Blocks of "    * -> NAME", "    jump_fnv1a_ch(c)", then "        host:port" per destination.
        let mut got: Vec<(String, Vec<String>)> = Vec::new();
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("    * -> ") {
                got.push((name.to_string(), Vec::new()));
            } else if let (Some(dest), Some(last)) = (line.strip_prefix("        "), got.last_mut())
            {
                last.1.push(dest.to_string());
            }
        }
        assert_eq!(got.len(), names.len(), "one block per name:\n{conf}");
        for (name, (echoed, relay)) in names.iter().zip(&got) {
            assert_eq!(name, echoed, "carbon-c-relay changed the name");
            let ours: Vec<String> = router
                .route(name)
                .map(|i| {
                    let d = router.destinations()[i];
                    format!("{}:{}", d.host, d.port)
                })
                .collect();
            compared += 1;
            if &ours != relay {
                differed += 1;
                if differed <= 10 {
                    eprintln!("{name}: carbon-c-relay {relay:?}, rust {ours:?}\n{conf}");
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    eprintln!(
        "jump_fnv1a_ch: {compared} names compared with carbon-c-relay, {differed} differences"
    );
    assert_eq!(differed, 0);
}
