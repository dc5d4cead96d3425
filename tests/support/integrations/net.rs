//! Killable connections under axum, so the fake can drop a connection mid-request (a fault plain axum handlers cannot cause).
//!
//! Each accepted stream is wrapped in a [`Wire`] that shares a [`Plug`] with the handlers of
//! its requests (through axum's `ConnectInfo`). Pulling the plug fails every later read and
//! write, and the socket closes with a reset.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::lock;

/// The live connections, so that stopping the fake can drop them all.
pub(crate) type Plugs = Arc<Mutex<Vec<Weak<Plug>>>>;

/// One connection's switch.
#[derive(Default)]
pub(crate) struct Plug {
    pulled: AtomicBool,
    waiting: Mutex<Vec<Waker>>,
}

impl Plug {
    /// Every later read and write on the connection fails.
    pub(crate) fn pull(&self) {
        self.pulled.store(true, Ordering::SeqCst);
        for waker in std::mem::take(&mut *lock(&self.waiting)) {
            waker.wake();
        }
    }

    fn pulled(&self) -> bool {
        self.pulled.load(Ordering::SeqCst)
    }

    fn wait(&self, waker: &Waker) {
        let mut waiting = lock(&self.waiting);
        if !waiting.iter().any(|w| w.will_wake(waker)) {
            waiting.push(waker.clone());
        }
    }
}

/// What a handler knows of its connection.
#[derive(Clone)]
pub(crate) struct Conn(pub(crate) Arc<Plug>);

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

impl Connected<IncomingStream<'_, Accept>> for Conn {
    fn connect_info(stream: IncomingStream<'_, Accept>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener handing out [`Wire`]s.
pub(crate) struct Accept {
    pub(crate) inner: TcpListener,
    pub(crate) plugs: Plugs,
}

impl Listener for Accept {
    type Io = Wire;
    type Addr = Conn;

    async fn accept(&mut self) -> (Wire, Conn) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let plug = Arc::new(Plug::default());
                    {
                        let mut plugs = lock(&self.plugs);
                        plugs.retain(|p| p.strong_count() > 0);
                        plugs.push(Arc::downgrade(&plug));
                    }
                    let wire = Wire {
                        stream,
                        plug: plug.clone(),
                    };
                    return (wire, Conn(plug));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Conn> {
        Ok(Conn(Arc::default()))
    }
}

/// One accepted connection.
pub(crate) struct Wire {
    stream: TcpStream,
    plug: Arc<Plug>,
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "the fake integrations server dropped the connection",
    )
}

impl AsyncRead for Wire {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.plug.wait(cx.waker());
        if self.plug.pulled() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.plug.pulled() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.plug.pulled() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.plug.pulled() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        if self.plug.pulled() {
            // A reset (RST), not a clean close (FIN), as when a server crashes.
            let _ = self.stream.set_zero_linger();
        }
    }
}

/// Drops every connection still open.
pub(crate) fn pull_all(plugs: &Plugs) {
    let live: Vec<Arc<Plug>> = lock(plugs).drain(..).filter_map(|p| p.upgrade()).collect();
    for plug in live {
        plug.pull();
    }
}
