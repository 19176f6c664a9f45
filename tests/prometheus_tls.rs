//! Authentication and TLS as a hardened Prometheus (or Mimir/Thanos gateway)
//! would demand them: a private CA, client certificates, bearer tokens,
//! basic auth and the tenant header. The server here is a real TLS endpoint
//! (rustls) that records the request it got and answers Prometheus' JSON.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use vigil::config::{Endpoint, SecretRef};
use vigil::sources::http::Limits;
use vigil::sources::prometheus::PrometheusClient;

const ANSWER: &str =
    r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"model":"m"},"value":[1,"42"]}]}}"#;

/// A private CA with a server certificate for 127.0.0.1 and a client certificate.
struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server =
        CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&server_key, &ca, &ca_key).unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client =
        CertificateParams::new(vec!["vigil".to_string()]).unwrap().signed_by(&client_key, &ca, &ca_key).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_cert: server.pem(),
        server_key: server_key.serialize_pem(),
        client_cert: client.pem(),
        client_key: client_key.serialize_pem(),
    }
}

/// Serves TLS on a loopback port; every request's head is kept for the test.
async fn serve(pki: &Pki, require_client_cert: bool) -> (String, Arc<Mutex<Vec<String>>>) {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pki.server_cert.as_bytes()).map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_slice(pki.server_key.as_bytes()).unwrap();
    let builder = ServerConfig::builder();
    let config = if require_client_cert {
        let mut roots = RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
            roots.add(ca.unwrap()).unwrap();
        }
        let verifier = WebPkiClientVerifier::builder(Arc::new(roots)).build().unwrap();
        builder.with_client_cert_verifier(verifier).with_single_cert(certs, key).unwrap()
    } else {
        builder.with_no_client_auth().with_single_cert(certs, key).unwrap()
    };
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let heads = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            let heads = Arc::clone(&heads);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let mut buffer = vec![0u8; 16 * 1024];
                let n = tls.read(&mut buffer).await.unwrap_or(0);
                heads.lock().unwrap().push(String::from_utf8_lossy(&buffer[..n]).to_lowercase());
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{ANSWER}",
                    ANSWER.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, seen)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn limits() -> Limits {
    Limits { retries: 0, ..Limits::default() }
}

#[tokio::test]
async fn a_private_ca_a_bearer_token_and_a_tenant_reach_the_server() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let (url, seen) = serve(&pki, false).await;
    let endpoint = Endpoint {
        url: url.clone(),
        token: Some(SecretRef::File(write(dir.path(), "token", "s3cr3t-token\n"))),
        tenant: Some("ml-team".into()),
        ca_file: Some(write(dir.path(), "ca.pem", &pki.ca_pem)),
        ..Endpoint::default()
    };
    let client = PrometheusClient::new(&endpoint, limits()).unwrap();
    let samples = client.query("up", None).await.unwrap();
    assert_eq!(samples[0].value, 42.0);
    let head = seen.lock().unwrap()[0].clone();
    assert!(head.contains("authorization: bearer s3cr3t-token\r\n"), "{head}");
    assert!(head.contains("x-scope-orgid: ml-team\r\n"), "{head}");
    assert!(!format!("{client:?}").contains("s3cr3t"), "credentials never printed");
}

#[tokio::test]
async fn an_unknown_ca_is_refused_with_the_reason() {
    let pki = pki();
    let (url, seen) = serve(&pki, false).await;
    let client = PrometheusClient::new(&Endpoint { url: url.clone(), ..Endpoint::default() }, limits()).unwrap();
    let error = client.query("up", None).await.unwrap_err();
    assert!(error.is_unreachable());
    let text = error.to_string();
    assert!(text.starts_with(&format!("prometheus {url}: query `up`: cannot connect: ")), "{text}");
    assert!(text.contains("UnknownIssuer"), "TLS verification is on by default: {text}");
    assert!(seen.lock().unwrap().is_empty(), "no request went out over an unverified connection");
}

#[tokio::test]
async fn client_certificates_are_presented_when_the_server_requires_them() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = serve(&pki, true).await;
    let ca = write(dir.path(), "ca.pem", &pki.ca_pem);
    let with_cert = Endpoint {
        url: url.clone(),
        ca_file: Some(ca.clone()),
        client_cert_file: Some(write(dir.path(), "client.pem", &pki.client_cert)),
        client_key_file: Some(write(dir.path(), "client.key", &pki.client_key)),
        ..Endpoint::default()
    };
    let ok = PrometheusClient::new(&with_cert, limits()).unwrap().query("up", None).await.unwrap();
    assert_eq!(ok[0].value, 42.0);

    let without = Endpoint { url, ca_file: Some(ca), ..Endpoint::default() };
    let error = PrometheusClient::new(&without, limits()).unwrap().query("up", None).await.unwrap_err();
    assert!(
        matches!(error.reason, vigil::sources::http::Reason::Connect(_) | vigil::sources::http::Reason::Body(_)),
        "{error}"
    );
}

#[tokio::test]
async fn basic_auth_sends_the_user_and_the_password_from_the_environment() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let (url, seen) = serve(&pki, false).await;
    // SAFETY: no other test reads this variable; set before any client reads it.
    unsafe { std::env::set_var("VIGIL_TEST_BASIC_PASSWORD", "pa:ss") };
    let endpoint = Endpoint {
        url,
        username: Some("oncall".into()),
        password: Some(SecretRef::Env("VIGIL_TEST_BASIC_PASSWORD".into())),
        ca_file: Some(write(dir.path(), "ca.pem", &pki.ca_pem)),
        ..Endpoint::default()
    };
    PrometheusClient::new(&endpoint, limits()).unwrap().query("up", None).await.unwrap();
    let head = seen.lock().unwrap()[0].clone();
    // base64("oncall:pa:ss"), lower-cased like the rest of the head.
    assert!(head.contains("authorization: basic b25jywxsonbhonnz\r\n"), "{head}");
}

#[test]
fn a_missing_token_file_is_a_clear_configuration_error() {
    let endpoint = Endpoint {
        url: "https://127.0.0.1:1".into(),
        token: Some(SecretRef::File("/nonexistent/vigil-token".into())),
        ..Endpoint::default()
    };
    let error = PrometheusClient::new(&endpoint, limits()).unwrap_err();
    assert!(error.starts_with("prometheus token: cannot read secret file /nonexistent/vigil-token"), "{error}");
}
