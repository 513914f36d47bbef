//! TLS for the tokio sender, through tokio-rustls (ring: RSA and ECDSA certificates, TLS 1.2 and 1.3).
//!
//! Verification is always on: the certificate must chain to one of the configured roots and name the server
//! (SNI and the name check use the same name: the destination's host unless told otherwise). There is no
//! switch to turn it off; a test uses its own CA ([`Roots::CaFile`], [`Roots::CaPem`]).

use std::fmt;
use std::path::PathBuf;
use std::string::{String, ToString};
use std::sync::Arc;
use std::vec::Vec;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// Where the trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Roots {
    /// Mozilla's roots, compiled in (feature `webpki-roots`).
    #[cfg(feature = "webpki-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "webpki-roots")))]
    WebPki,
    /// The operating system's roots (feature `native-roots`).
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    Native,
    /// The certificates of a PEM file (a private CA).
    CaFile(PathBuf),
    /// The certificates of PEM text.
    CaPem(Vec<u8>),
}

/// TLS settings: the roots, and optionally the name to ask for and check (default: the destination's host).
///
/// ```
/// use carbon_sender::tokio_sender::{Roots, TlsConfig};
/// let tls = TlsConfig::new(Roots::CaFile("/etc/ssl/my-ca.pem".into())).with_server_name("carbon.example");
/// assert_eq!(tls.server_name(), Some("carbon.example"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsConfig {
    pub(crate) roots: Roots,
    pub(crate) server_name: Option<String>,
}

impl TlsConfig {
    /// TLS with these roots.
    pub fn new(roots: Roots) -> Self {
        TlsConfig {
            roots,
            server_name: None,
        }
    }

    /// The name sent as SNI and checked in the certificate, instead of the destination's host.
    pub fn with_server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The name set with [`with_server_name`](Self::with_server_name).
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The connector, with the roots loaded.
    pub(crate) fn connector(&self) -> Result<TlsConnector, TlsError> {
        let mut store = RootCertStore::empty();
        let mut add = |certs: Vec<CertificateDer<'static>>| -> Result<(), TlsError> {
            for c in certs {
                store
                    .add(c)
                    .map_err(|e| TlsError::BadRoots(e.to_string()))?;
            }
            Ok(())
        };
        match &self.roots {
            #[cfg(feature = "webpki-roots")]
            Roots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            #[cfg(feature = "native-roots")]
            Roots::Native => add(rustls_native_certs::load_native_certs().certs)?,
            Roots::CaFile(path) => add(CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| TlsError::BadRoots(std::format!("{}: {e}", path.display())))?)?,
            Roots::CaPem(pem) => add(CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| TlsError::BadRoots(e.to_string()))?)?,
        }
        if store.is_empty() {
            return Err(TlsError::BadRoots("no certificate found".into()));
        }
        // ring: RSA and ECDSA, no C toolchain beyond ring's own. rustls 0.23.37+ marks it deprecated only
        // because it lacks post-quantum key exchange (which aws-lc-rs has, at a much heavier build).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::BadRoots(e.to_string()))?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(TlsConnector::from(Arc::new(config)))
    }

    /// The server name for a destination whose host is `host`.
    pub(crate) fn name_for(&self, host: &str) -> Result<ServerName<'static>, TlsError> {
        let name = self.server_name.as_deref().unwrap_or(host);
        ServerName::try_from(name.to_string()).map_err(|_| TlsError::BadServerName(name.into()))
    }
}

/// Why the TLS settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsError {
    /// The roots could not be read, or hold no usable certificate.
    BadRoots(String),
    /// The server name is neither a DNS name nor an IP address.
    BadServerName(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::BadRoots(why) => write!(f, "TLS roots unusable: {why}"),
            TlsError::BadServerName(name) => write!(f, "not a server name: {name:?}"),
        }
    }
}

impl std::error::Error for TlsError {}
