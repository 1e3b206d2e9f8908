//! A loopback JSON-RPC proxy that counts `eth_sendRawTransaction` requests and can lose the node's
//! answers to the first ones: the node has the transaction, the client hears nothing but a closed
//! connection.

use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

use alloy::transports::http::reqwest::{Client, Url};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// The proxy; it stops with the test's runtime.
pub(crate) struct LossyProxy {
    pub(crate) url: Url,
    broadcasts: Arc<AtomicU32>,
}

impl LossyProxy {
    /// Listens on a free loopback port and forwards to `node`, losing the answers to the first
    /// `lose` broadcasts.
    pub(crate) async fn start(node: Url, lose: u32) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr")).parse().expect("url");
        let broadcasts = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&broadcasts);
        tokio::spawn(async move {
            let client = Client::new();
            while let Ok((socket, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(serve(socket, client.clone(), node.clone(), counter, lose));
            }
        });
        Self { url, broadcasts }
    }

    /// How many `eth_sendRawTransaction` requests reached the node.
    pub(crate) fn broadcasts(&self) -> u32 {
        self.broadcasts.load(Ordering::SeqCst)
    }
}

/// Serves one keep-alive connection: each request is forwarded; the answers to the first `lose`
/// broadcasts are dropped together with the connection.
async fn serve(
    socket: TcpStream,
    client: Client,
    node: Url,
    broadcasts: Arc<AtomicU32>,
    lose: u32,
) {
    let mut socket = BufReader::new(socket);
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if socket.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("content length");
            }
        }
        let mut body = vec![0; length];
        socket.read_exact(&mut body).await.expect("body");
        let answer =
            client.post(node.clone()).header("content-type", "application/json").body(body.clone());
        let answer = answer.send().await.expect("node answers").bytes().await.expect("answer");
        if String::from_utf8_lossy(&body).contains("eth_sendRawTransaction")
            && broadcasts.fetch_add(1, Ordering::SeqCst) < lose
        {
            return; // the connection closes: the answer is lost
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        let socket = socket.get_mut();
        socket.write_all(head.as_bytes()).await.expect("write");
        socket.write_all(&answer).await.expect("write");
    }
}
