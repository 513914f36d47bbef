//! TLS for the end-to-end tests: a test PKI made with the openssl CLI and stunnel4 terminating TLS in front
//! of carbon (the Hosted Graphite guide's set-up, server side), on 127.0.0.1, stopped by PID.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A test PKI from the openssl CLI: two CAs; under `ca`, carbon.test with an RSA and with an ECDSA key and
/// other.test; under `other-ca`, carbon.test.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

impl Pki {
    /// Makes the CAs and certificates.
    pub fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::Builder::new()
                .prefix("tokio-tls-")
                .tempdir()
                .unwrap(),
        };
        for ca in ["ca", "other-ca"] {
            pki.ec_key(&format!("{ca}.key"));
            pki.openssl(&[
                "req",
                "-x509",
                "-new",
                "-key",
                &format!("{ca}.key"),
                "-sha256",
                "-days",
                "2",
                "-subj",
                &format!("/CN=carbon-pickle test {ca}"),
                "-out",
                &format!("{ca}.pem"),
            ]);
        }
        pki.leaf("rsa", "carbon.test", "ca", true);
        pki.leaf("ecdsa", "carbon.test", "ca", false);
        pki.leaf("wrong-name", "other.test", "ca", false);
        pki.leaf("rogue", "carbon.test", "other-ca", false);
        pki
    }

    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// An ECDSA P-256 key into `file`.
    fn ec_key(&self, file: &str) {
        self.openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            file,
        ]);
    }

    fn leaf(&self, name: &str, dns: &str, ca: &str, rsa: bool) {
        let key = format!("{name}.key");
        if rsa {
            self.openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key,
            ]);
        } else {
            self.ec_key(&key);
        }
        self.openssl(&[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            &format!("/CN={dns}"),
            "-out",
            &format!("{name}.csr"),
        ]);
        std::fs::write(
            self.path(&format!("{name}.ext")),
            format!("subjectAltName=DNS:{dns}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
        )
        .unwrap();
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-sha256",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ]);
    }

    /// A file of the PKI (`ca.pem`, `rsa.pem`, `rsa.key`, ...).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// stunnel4 on 127.0.0.1 terminating TLS in front of carbon's pickle port; stopped (by its pid) when dropped.
pub struct Stunnel {
    child: Child,
    /// The TLS port on 127.0.0.1.
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Stunnel {
    /// Starts stunnel with `cert`/`key`, forwarding to 127.0.0.1:`upstream`; returns once it listens.
    pub fn start(upstream: u16, cert: &Path, key: &Path) -> Stunnel {
        let dir = tempfile::Builder::new()
            .prefix("tokio-stunnel-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let conf = dir.path().join("stunnel.conf");
        std::fs::write(
            &conf,
            format!(
                "foreground = yes\npid =\n[carbon-tls]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{upstream}\ncert = {}\nkey = {}\n",
                cert.display(),
                key.display()
            ),
        )
        .unwrap();
        let child = Command::new("stunnel4")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("stunnel4 (scripts/setup.sh installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "stunnel did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Stunnel {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Stunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
