//! The fake's own socket layer: lets it refuse connections, drop one mid-request or cut a reply mid-body, which plain axum cannot do.
//!
//! Every accepted TCP stream is wrapped in [`FakeIo`], which shares a [`ConnCtl`] with the
//! request handler (through axum's `ConnectInfo`). Killing the control makes every later read or
//! write on that connection fail and the socket close with a reset; arming a cut lets the reply's
//! status line, headers and part of its body through, then kills the connection.

use std::fmt;
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

/// The connections that are open now, so that going offline can drop them all.
pub(crate) type ConnRegistry = Arc<Mutex<Vec<Weak<ConnCtl>>>>;

/// Control shared by one connection's [`FakeIo`] and the handlers of its requests.
#[derive(Default)]
pub(crate) struct ConnCtl {
    killed: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
    cut: Mutex<Option<Cut>>,
}

impl ConnCtl {
    /// From now on every read and write fails; the socket is reset when hyper drops it.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *lock(&self.wakers));
        for waker in wakers {
            waker.wake();
        }
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// The next reply written on this connection goes out up to its headers plus
    /// `body_bytes` bytes of body; the connection is then reset.
    pub(crate) fn arm_cut(&self, body_bytes: usize) {
        *lock(&self.cut) = Some(Cut {
            budget: body_bytes,
            matched: 0,
            in_body: false,
        });
    }

    fn park(&self, waker: &Waker) {
        let mut wakers = lock(&self.wakers);
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

/// Progress of an armed cut through the bytes of one HTTP/1.1 reply.
#[derive(Clone, Copy)]
struct Cut {
    /// Body bytes still allowed out.
    budget: usize,
    /// How much of "\r\n\r\n" (the end of the headers) was just seen.
    matched: u8,
    in_body: bool,
}

impl Cut {
    /// Advances over one byte; false when that byte must not be sent.
    fn step(&mut self, byte: u8) -> bool {
        if self.in_body {
            if self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            return true;
        }
        self.matched = match (self.matched, byte) {
            (0 | 2, b'\r') => self.matched + 1,
            (1 | 3, b'\n') => self.matched + 1,
            (_, b'\r') => 1,
            _ => 0,
        };
        if self.matched == 4 {
            self.in_body = true;
        }
        true
    }

    /// How many leading bytes of `buf` may be sent, without advancing.
    fn allowance(&self, buf: &[u8]) -> usize {
        let mut probe = *self;
        buf.iter().take_while(|b| probe.step(**b)).count()
    }

    fn consume(&mut self, sent: &[u8]) {
        for b in sent {
            self.step(*b);
        }
    }
}

/// What a handler learns about the connection its request came on.
#[derive(Clone)]
pub(crate) struct Conn(pub(crate) Arc<ConnCtl>);

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Conn")
    }
}

impl Connected<IncomingStream<'_, FakeListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, FakeListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener that wraps each connection in a killable [`FakeIo`].
pub(crate) struct FakeListener {
    pub(crate) inner: TcpListener,
    pub(crate) conns: ConnRegistry,
}

impl Listener for FakeListener {
    type Io = FakeIo;
    type Addr = Conn;

    async fn accept(&mut self) -> (FakeIo, Conn) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let ctl = Arc::new(ConnCtl::default());
                    {
                        let mut conns = lock(&self.conns);
                        conns.retain(|c| c.strong_count() > 0);
                        conns.push(Arc::downgrade(&ctl));
                    }
                    let io = FakeIo {
                        stream,
                        ctl: ctl.clone(),
                    };
                    return (io, Conn(ctl));
                }
                // Too many open files and the like: wait a little, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Conn> {
        Ok(Conn(Arc::new(ConnCtl::default())))
    }
}

/// One accepted connection; obeys its [`ConnCtl`].
pub(crate) struct FakeIo {
    stream: TcpStream,
    ctl: Arc<ConnCtl>,
}

fn reset() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "fake OnceHub dropped the connection",
    )
}

impl AsyncRead for FakeIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.ctl.park(cx.waker());
        if self.ctl.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for FakeIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.ctl.park(cx.waker());
        if self.ctl.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        let ctl = self.ctl.clone();
        let mut cut = lock(&ctl.cut);
        let Some(plan) = cut.as_mut() else {
            drop(cut);
            return Pin::new(&mut self.stream).poll_write(cx, buf);
        };
        let allowed = plan.allowance(buf);
        if allowed == 0 && !buf.is_empty() {
            drop(cut);
            ctl.kill();
            return Poll::Ready(Err(reset()));
        }
        let polled = Pin::new(&mut self.stream).poll_write(cx, &buf[..allowed]);
        if let Poll::Ready(Ok(sent)) = &polled {
            plan.consume(&buf[..*sent]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.ctl.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.ctl.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Drop for FakeIo {
    fn drop(&mut self) {
        if self.ctl.is_killed() {
            // Close with RST rather than FIN: the peer sees a reset, as with a crashed server.
            let _ = self.stream.set_zero_linger();
        }
    }
}

/// Kills every connection still open.
pub(crate) fn kill_all(conns: &ConnRegistry) {
    let live: Vec<Arc<ConnCtl>> = lock(conns).drain(..).filter_map(|c| c.upgrade()).collect();
    for ctl in live {
        ctl.kill();
    }
}
