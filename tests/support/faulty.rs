//! A deliberately misbehaving HTTP server for fault tests: it accepts
//! connections and then does exactly one bad thing. Real TCP, real HTTP/1.1
//! framing, so the client under test walks its production path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub enum Misbehaviour {
    /// Accepts, reads the request, never answers.
    Silent,
    /// Answers with this status and body.
    Status(u16, String),
    /// Answers 200 with a body of `bytes` bytes streamed in chunks; with
    /// `declared` the length is announced up front.
    Huge { bytes: u64, declared: bool },
}

pub struct FaultyServer {
    pub url: String,
    connections: Arc<AtomicUsize>,
    bytes_sent: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultyServer {
    pub async fn start(misbehaviour: Misbehaviour) -> FaultyServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let bytes_sent = Arc::new(AtomicU64::new(0));
        let (count, sent) = (connections.clone(), bytes_sent.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let misbehaviour = misbehaviour.clone();
                let sent = sent.clone();
                tokio::spawn(async move {
                    let mut request = vec![0u8; 64 * 1024];
                    let _ = stream.read(&mut request).await;
                    match misbehaviour {
                        Misbehaviour::Silent => {
                            // Hold the connection open without a word.
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        }
                        Misbehaviour::Status(code, body) => {
                            let head = format!(
                                "HTTP/1.1 {code} Whatever\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = stream.write_all(head.as_bytes()).await;
                            let _ = stream.write_all(body.as_bytes()).await;
                        }
                        Misbehaviour::Huge { bytes, declared } => {
                            let head = if declared {
                                format!(
                                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {bytes}\r\n\r\n"
                                )
                            } else {
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
                                    .to_string()
                            };
                            if stream.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            let chunk = vec![b' '; 64 * 1024];
                            let mut left = bytes;
                            while left > 0 {
                                let n = left.min(chunk.len() as u64) as usize;
                                if stream.write_all(&chunk[..n]).await.is_err() {
                                    return;
                                }
                                sent.fetch_add(n as u64, Ordering::SeqCst);
                                left -= n as u64;
                            }
                        }
                    }
                });
            }
        });
        FaultyServer { url, connections, bytes_sent, task }
    }

    /// How many connections were made (one per attempt).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How many body bytes were written before the client hung up.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent.load(Ordering::SeqCst)
    }
}

impl Drop for FaultyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
