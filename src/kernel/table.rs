//! The kernel's TCP socket table, the one `ss -tan` prints: rows, filters, and the two ways to
//! read it (a whole dump, or one row by its exact 4-tuple), plus the two per-fd facts that tie a
//! program's fd to a row: its live state (TCP_INFO) and its inode (fstat).

use crate::tcp_state::TcpState;
use serde::Serialize;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::BorrowedFd;
use std::sync::Mutex;

#[cfg(target_os = "linux")]
pub use super::sock_diag::Timer;

/// The running timer of a socket (only Linux reports one).
#[cfg(not(target_os = "linux"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Timer {}

/// One row of the table: one TCP socket, or one connection without a socket (TIME-WAIT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketRow {
    /// The state, or `None` for a code this build does not know.
    pub state: Option<TcpState>,
    /// Recv-Q. A connection: bytes received, not yet read. A listener: connections that
    /// finished the handshake and wait for `accept()`.
    pub recv_q: u32,
    /// Send-Q. A connection: bytes sent, not yet acknowledged. A listener: its backlog.
    pub send_q: u32,
    /// Our end.
    #[serde(serialize_with = "ser_addr")]
    pub local: SocketAddr,
    /// The other end; port 0 (printed `*`) for a listener.
    #[serde(serialize_with = "ser_addr")]
    pub peer: SocketAddr,
    /// The owner's user id.
    pub uid: u32,
    /// The socket's inode (0 for a connection no fd holds any more).
    pub inode: u64,
    /// The running timer and the milliseconds until it fires.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_timer")]
    pub timer: Option<(Timer, u32)>,
}

impl SocketRow {
    /// The state's name as `ss` prints it, or `UNKNOWN`.
    pub fn state_name(&self) -> &'static str {
        self.state.map(TcpState::ss_name).unwrap_or("UNKNOWN")
    }

    /// Whether this is an IPv4 socket (an IPv4-mapped peer on an IPv6 socket is IPv6 here).
    pub fn is_ipv4(&self) -> bool {
        self.local.is_ipv4()
    }

    /// The timer as `ss -o` prints it: `timewait,59sec`.
    pub fn timer_text(&self) -> String {
        let mut s = String::new();
        self.write_timer_text(&mut s);
        s
    }

    /// How long [`SocketRow::timer_text`] is, counted without writing it where it can be
    /// (`lab sockets` measures every row to align its columns); else written into `scratch`.
    pub fn timer_len(&self, scratch: &mut String) -> usize {
        let counted = self
            .timer
            .and_then(|(t, ms)| Some(timer_name(t).len() + ",".len() + ms_len(ms)?));
        counted.unwrap_or_else(|| {
            scratch.clear();
            self.write_timer_text(scratch);
            scratch.len()
        })
    }

    /// [`SocketRow::timer_text`], written into `s` (nothing without a timer).
    pub fn write_timer_text(&self, s: &mut String) {
        #[allow(unreachable_patterns)]
        if let Some((t, ms)) = self.timer {
            s.push_str(timer_name(t));
            s.push(',');
            write_ms(s, ms);
        }
    }
}

#[cfg(target_os = "linux")]
fn timer_name(t: Timer) -> &'static str {
    t.name()
}
#[cfg(not(target_os = "linux"))]
fn timer_name(t: Timer) -> &'static str {
    match t {}
}

/// `59sec`, `1.2sec`, `800ms`, as `ss -o` prints a timer. Whole numbers digit by digit: in a
/// table of 10,000 connections in TIME-WAIT, the formatter was a tenth of lab's own time.
fn write_ms(s: &mut String, ms: u32) {
    if ms >= 10_000 {
        push_decimal(s, ms / 1000);
        s.push_str("sec");
    } else if ms >= 1000 {
        use std::fmt::Write as _;
        // Rounded as printf's `%.1f` rounds (9,960 ms is `10.0sec`): left to the formatter.
        let _ = write!(s, "{:.1}sec", f64::from(ms) / 1000.0);
    } else {
        push_decimal(s, ms);
        s.push_str("ms");
    }
}

/// The length of [`write_ms`]'s text, counted; `None` for a timer printed with a decimal.
fn ms_len(ms: u32) -> Option<usize> {
    match ms {
        10_000.. => Some(decimal_len(u64::from(ms / 1000)) + "sec".len()),
        1000.. => None,
        _ => Some(decimal_len(u64::from(ms)) + "ms".len()),
    }
}

/// `n` in decimal, appended to `s`.
fn push_decimal(s: &mut String, n: u32) {
    const DIGITS: usize = 10; // u32::MAX has ten
    let mut digits = [0u8; DIGITS];
    let at = put_decimal(&mut digits, DIGITS, u64::from(n));
    s.extend(digits[at..].iter().map(|d| char::from(*d)));
}

fn ser_addr<S: serde::Serializer>(a: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&a.to_string())
}

fn ser_timer<S: serde::Serializer>(t: &Option<(Timer, u32)>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        #[allow(unreachable_patterns)]
        Some((timer, ms)) => {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("name", timer_name(*timer))?;
            m.serialize_entry("ms", ms)?;
            m.end()
        }
        None => s.serialize_none(),
    }
}

/// An address as `ss` prints it: `*` for the unspecified address (IPv6) or port 0,
/// IPv6 in brackets. (`ss` prints `0.0.0.0` for the IPv4 unspecified address, so does this.)
pub fn ss_addr(a: &SocketAddr) -> String {
    let mut s = String::new();
    let _ = write_ss_addr(&mut s, a);
    s
}

/// [`ss_addr`], written into `s`.
pub fn write_ss_addr(s: &mut String, a: &SocketAddr) -> std::fmt::Result {
    // The longest, `[ffff:…:ffff]:65535`, is 47 bytes.
    let mut bytes = [0u8; 64];
    let end = put_ss_addr(&mut bytes, 0, a);
    s.push_str(std::str::from_utf8(&bytes[..end]).map_err(|_| std::fmt::Error)?);
    Ok(())
}

/// [`ss_addr`]'s bytes, put into `line` from `at` (which has room for [`ss_addr_len`] of
/// them); returns where they end. An IPv4 address is written digit by digit, without the
/// formatter or a copy per number: `lab sockets` writes 20,000 addresses a run, and the
/// formatter's padding support was most of its own time.
pub fn put_ss_addr(line: &mut [u8], at: usize, a: &SocketAddr) -> usize {
    let mut at = at;
    match a.ip() {
        IpAddr::V6(v6) if v6.is_unspecified() => at = put_bytes(line, at, b"*"),
        IpAddr::V6(v6) => at = put_bytes(line, at, format!("[{v6}]").as_bytes()),
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().iter().enumerate() {
                if i > 0 {
                    at = put_bytes(line, at, b".");
                }
                at = put_decimal_at(line, at, u64::from(*octet));
            }
        }
    }
    match a.port() {
        0 => put_bytes(line, at, b":*"),
        p => {
            let at = put_bytes(line, at, b":");
            put_decimal_at(line, at, u64::from(p))
        }
    }
}

/// How long [`ss_addr`]'s text for `a` is, counted without writing it for an IPv4 address:
/// `lab sockets` measures every address to align its columns before it writes them.
pub fn ss_addr_len(a: &SocketAddr) -> usize {
    let port = match a.port() {
        0 => 2,
        p => 1 + decimal_len(u64::from(p)),
    };
    match a.ip() {
        IpAddr::V4(v4) => {
            let octets: usize = v4.octets().iter().map(|o| decimal_len(u64::from(*o))).sum();
            octets + 3 + port
        }
        IpAddr::V6(_) => ss_addr(a).len(),
    }
}

/// How many digits `n` has in decimal.
pub fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// `n` in decimal, its last digit put just before `end` in `line` (right-aligned); returns
/// where its first digit is. The digits come out last first, which is the order they are
/// found in (`n % 10`, then `n / 10`).
pub fn put_decimal(line: &mut [u8], end: usize, n: u64) -> usize {
    let (mut at, mut n) = (end, n);
    loop {
        at -= 1;
        line[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return at;
        }
    }
}

/// `n` in decimal, put into `line` from `at` (left-aligned); returns where it ends.
pub fn put_decimal_at(line: &mut [u8], at: usize, n: u64) -> usize {
    let end = at + decimal_len(n);
    put_decimal(line, end, n);
    end
}

/// `text` put into `line` from `at`; returns where it ends.
pub fn put_bytes(line: &mut [u8], at: usize, text: &[u8]) -> usize {
    line[at..at + text.len()].copy_from_slice(text);
    at + text.len()
}

/// Which rows to keep. The defaults keep every row `ss -tan` prints.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Local or peer port.
    pub port: Option<u16>,
    /// Only this state.
    pub state: Option<TcpState>,
    /// Only listening sockets (`ss -l`).
    pub listening: bool,
    /// Only IPv4 (`-4`) / only IPv6 (`-6`); both false means both.
    pub ipv4: bool,
    pub ipv6: bool,
    /// Also bound-but-idle sockets (BOUND-INACTIVE, Linux ≥ 6.8), which `ss -tan` leaves out.
    pub bound: bool,
}

impl Filter {
    /// The `idiag_states` mask to ask the kernel for, so it does the state filtering.
    pub fn state_mask(&self) -> u32 {
        if self.listening {
            return TcpState::Listen.flag();
        }
        if let Some(s) = self.state {
            // The kernel keeps half-open connections as NEW_SYN_RECV and reports them as SYN-RECV.
            return match s {
                TcpState::SynRecv => s.flag() | TcpState::NewSynRecv.flag(),
                _ => s.flag(),
            };
        }
        TcpState::all()
            .filter(|s| self.bound || *s != TcpState::BoundInactive)
            .fold(0, |m, s| m | s.flag())
    }

    /// Whether a row passes the filters the kernel did not apply (port, family).
    pub fn keeps(&self, row: &SocketRow) -> bool {
        let family_ok = match (self.ipv4, self.ipv6) {
            (true, false) => row.is_ipv4(),
            (false, true) => !row.is_ipv4(),
            _ => true,
        };
        let port_ok = self
            .port
            .is_none_or(|p| row.local.port() == p || row.peer.port() == p);
        family_ok && port_ok
    }
}

/// Why the kernel's view cannot be had: only Linux has this table.
pub const UNAVAILABLE: &str = "the kernel's socket table (NETLINK_SOCK_DIAG) exists only on Linux";

/// A handle on the kernel's table: one netlink socket behind a lock, so threads can share it.
///
/// Each network namespace has a table of its own, and a netlink socket answers about the
/// namespace it was made in. Under `lab net` the programs run on hosts, each a namespace:
/// [`KernelTable::add_hosts`] gives this table theirs, and [`KernelTable::of_socket`] and
/// [`KernelTable::of_address`] pick the one a socket is in.
pub struct KernelTable {
    #[cfg(target_os = "linux")]
    diag: Mutex<super::sock_diag::DiagSocket>,
    #[cfg(not(target_os = "linux"))]
    diag: Mutex<()>,
    hosts: std::sync::OnceLock<Vec<HostTable>>,
}

/// A host's table (`lab net`): its namespace's inode, its addresses, its netlink socket.
pub struct HostTable {
    pub netns_inode: u64,
    pub addrs: Vec<std::net::IpAddr>,
    pub table: KernelTable,
}

impl KernelTable {
    /// Opens the netlink socket (`socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG)`).
    #[cfg(target_os = "linux")]
    pub fn open() -> io::Result<KernelTable> {
        Ok(KernelTable {
            diag: Mutex::new(super::sock_diag::DiagSocket::open()?),
            hosts: Default::default(),
        })
    }

    /// The table of the network namespace `netns`: the netlink socket is made by a thread that
    /// enters it first (`setns`), and answers about that namespace from then on, whichever
    /// thread asks.
    #[cfg(target_os = "linux")]
    pub fn open_in(netns: std::os::fd::BorrowedFd<'_>) -> io::Result<KernelTable> {
        std::thread::scope(|s| {
            s.spawn(|| {
                nix::sched::setns(netns, nix::sched::CloneFlags::CLONE_NEWNET)?;
                KernelTable::open()
            })
            .join()
            .unwrap_or_else(|_| {
                Err(io::Error::other(
                    "the thread opening a host's table panicked",
                ))
            })
        })
    }

    /// Gives this table the hosts' tables (once; `lab net`).
    pub fn add_hosts(&self, hosts: Vec<HostTable>) {
        let _ = self.hosts.set(hosts);
    }

    /// The table of the namespace socket `fd` is in: a host's under `lab net`, else this one.
    pub fn of_socket(&self, fd: std::os::fd::BorrowedFd<'_>) -> &KernelTable {
        let Some(hosts) = self.hosts.get() else {
            return self;
        };
        let Ok(inode) = crate::sys::socket_netns_inode(fd) else {
            return self;
        };
        hosts
            .iter()
            .find(|h| h.netns_inode == inode)
            .map_or(self, |h| &h.table)
    }

    /// Whether hosts of `lab net` have tables of their own here.
    pub fn has_hosts(&self) -> bool {
        self.hosts.get().is_some()
    }

    /// The table a connection whose fd is gone is in, by its local address: the host that has
    /// it under `lab net` (a host's own address is its alone), else this one. A loopback or
    /// wildcard address is in every host: then the first host whose table has the row.
    pub fn of_address(&self, local: SocketAddr, peer: SocketAddr) -> &KernelTable {
        let Some(hosts) = self.hosts.get() else {
            return self;
        };
        if let Some(h) = hosts.iter().find(|h| h.addrs.contains(&local.ip())) {
            return &h.table;
        }
        let has = |t: &KernelTable| matches!(t.lookup_here(local, peer), Ok(Some(_)));
        hosts
            .iter()
            .find(|h| has(&h.table))
            .map_or(self, |h| &h.table)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn open() -> io::Result<KernelTable> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNAVAILABLE))
    }

    /// Every row that passes `filter`, IPv4 rows first, as `ss` prints them: one dump of the
    /// family asked for (`-4`, `-6`), else one of both (see
    /// [`super::sock_diag::DiagSocket::dump_all_families`]), where `ss` makes one per family.
    #[cfg(target_os = "linux")]
    pub fn rows(&self, filter: &Filter) -> io::Result<Vec<SocketRow>> {
        use nix::sys::socket::AddressFamily;
        let mut diag = self.diag.lock().unwrap_or_else(|p| p.into_inner());
        let mask = filter.state_mask();
        let mut kept = Kept {
            filter,
            v4: Vec::new(),
            v6: Vec::new(),
        };
        match (filter.ipv4, filter.ipv6) {
            (true, false) => diag.dump(AddressFamily::Inet, mask, &mut kept)?,
            (false, true) => diag.dump(AddressFamily::Inet6, mask, &mut kept)?,
            // The kernel walks its tables in one order for both families: IPv4's rows, in
            // that order, then IPv6's, are what the two dumps return.
            _ => diag.dump_all_families(mask, &mut kept)?,
        }
        let Kept { mut v4, v6, .. } = kept;
        v4.extend(v6);
        Ok(v4)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn rows(&self, _filter: &Filter) -> io::Result<Vec<SocketRow>> {
        let _ = &self.diag;
        Err(io::Error::new(io::ErrorKind::Unsupported, UNAVAILABLE))
    }

    /// The row with exactly this 4-tuple, or `None`. A listener is asked for with the
    /// unspecified peer address and port 0 (see `unspecified_like`). Never returns another
    /// socket's row: the listener trap is handled in [`super::sock_diag::DiagSocket::lookup`].
    /// Under `lab net`, asked of the host the 4-tuple is in ([`KernelTable::of_address`]).
    #[cfg(target_os = "linux")]
    pub fn lookup(&self, local: SocketAddr, peer: SocketAddr) -> io::Result<Option<SocketRow>> {
        self.of_address(local, peer).lookup_here(local, peer)
    }

    /// [`KernelTable::lookup`] in this table's own namespace.
    #[cfg(target_os = "linux")]
    fn lookup_here(&self, local: SocketAddr, peer: SocketAddr) -> io::Result<Option<SocketRow>> {
        let mut diag = self.diag.lock().unwrap_or_else(|p| p.into_inner());
        Ok(diag.lookup(local, peer)?.map(row_of))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn lookup(&self, _local: SocketAddr, _peer: SocketAddr) -> io::Result<Option<SocketRow>> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNAVAILABLE))
    }

    /// The row of the listener at `local` whose inode is `inode`. Several may listen on one
    /// address (SO_REUSEPORT), and an exact lookup answers with one of them, the one the
    /// kernel's hash picks for the wildcard peer: when that is another's, ours is looked for
    /// among the listening rows of its port.
    pub fn listener(&self, local: SocketAddr, inode: u64) -> io::Result<Option<SocketRow>> {
        let (l, any) = tuple(local, None);
        let row = self.lookup(l, any)?;
        if row.as_ref().is_none_or(|r| r.inode == inode) {
            return Ok(row);
        }
        let listening = Filter {
            port: Some(local.port()),
            listening: true,
            ..Filter::default()
        };
        let ours = |r: &SocketRow| r.inode == inode && r.local.port() == local.port();
        Ok(self
            .of_address(local, any)
            .rows(&listening)?
            .into_iter()
            .find(ours))
    }

    /// Many [`KernelTable::lookup`]s at once, the rows in the order of `tuples`: one request
    /// datagram for up to 64 of them (see [`super::sock_diag::DiagSocket::lookup_many`]).
    /// Under `lab net` each is looked up on its own, in the table of the host that has it.
    #[cfg(target_os = "linux")]
    pub fn lookup_many(
        &self,
        tuples: &[(SocketAddr, SocketAddr)],
    ) -> io::Result<Vec<Option<SocketRow>>> {
        if self.hosts.get().is_some() {
            return tuples.iter().map(|(l, p)| self.lookup(*l, *p)).collect();
        }
        let mut diag = self.diag.lock().unwrap_or_else(|p| p.into_inner());
        Ok(diag
            .lookup_many(tuples)?
            .into_iter()
            .map(|m| m.map(row_of))
            .collect())
    }

    #[cfg(not(target_os = "linux"))]
    pub fn lookup_many(
        &self,
        _tuples: &[(SocketAddr, SocketAddr)],
    ) -> io::Result<Vec<Option<SocketRow>>> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNAVAILABLE))
    }
}

/// Where a dump's messages go: each one the filter keeps, as a row, with the rows of its
/// family. Filled as the datagrams arrive, so a dump of 10,000 sockets is never held twice.
#[cfg(target_os = "linux")]
struct Kept<'a> {
    filter: &'a Filter,
    v4: Vec<SocketRow>,
    v6: Vec<SocketRow>,
}

#[cfg(target_os = "linux")]
impl Extend<super::sock_diag::DiagMsg> for Kept<'_> {
    fn extend<I: IntoIterator<Item = super::sock_diag::DiagMsg>>(&mut self, msgs: I) {
        for m in msgs {
            let ipv4 = m.family == libc::AF_INET as u8;
            let row = row_of(m);
            if self.filter.keeps(&row) {
                if ipv4 { &mut self.v4 } else { &mut self.v6 }.push(row);
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn row_of(m: super::sock_diag::DiagMsg) -> SocketRow {
    SocketRow {
        state: TcpState::from_kernel(m.state),
        recv_q: m.rqueue,
        send_q: m.wqueue,
        local: m.local,
        peer: m.peer,
        uid: m.uid,
        inode: m.inode,
        timer: m.timer,
    }
}

/// The 4-tuple the table knows a socket in `state` by. A listener is known by its address alone,
/// paired with `*:*`: it has no peer, whatever its fd was given before `listen()` (a `connect()`
/// that failed), and several may share the address (SO_REUSEPORT: their inodes tell them apart).
/// Any other socket is known by its two ends — or, while it has no peer, by its address as well.
pub fn key(
    local: SocketAddr,
    state: Option<TcpState>,
    peer: Option<SocketAddr>,
) -> (SocketAddr, SocketAddr) {
    tuple(local, table_peer(state, peer))
}

/// The peer the table pairs a socket in `state` with (see [`key`]): none for a listener.
pub fn table_peer(state: Option<TcpState>, peer: Option<SocketAddr>) -> Option<SocketAddr> {
    peer.filter(|_| state != Some(TcpState::Listen))
}

/// The 4-tuple of a socket by its ends: a connection by both; a socket with no peer (a listener,
/// a bound socket) by its address and the wildcard `*:*` ss prints for it.
pub fn tuple(local: SocketAddr, peer: Option<SocketAddr>) -> (SocketAddr, SocketAddr) {
    (local, peer.unwrap_or_else(|| unspecified_like(&local)))
}

/// The peer to ask for when looking up a listener: the unspecified address of the same family,
/// port 0 — what the kernel stores as a listener's "destination".
fn unspecified_like(a: &SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V4(_) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        SocketAddr::V6(_) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
    }
}

/// The live TCP state of a fd, from `getsockopt(TCP_INFO)`: `Ok(None)` for a socket that is not
/// TCP (UDP has no states), or for a state code this build does not know.
pub fn fd_state(fd: BorrowedFd<'_>) -> io::Result<Option<TcpState>> {
    match crate::sys::tcp_state_byte(fd) {
        Ok(code) => Ok(TcpState::from_kernel(code)),
        // TCP_INFO on a UDP socket: "Operation not supported" / "Protocol not available".
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP) | Some(libc::ENOPROTOOPT)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A fd's inode, the number the table's `inode` column holds. Corresponds to `fstat(2)`.
pub fn fd_inode(fd: BorrowedFd<'_>) -> io::Result<u64> {
    Ok(nix::sys::stat::fstat(fd)?.st_ino)
}

/// How long an orphaned connection (its fd closed) may wait in FIN-WAIT-2 for the peer's FIN
/// before the kernel lets it go: `net.ipv4.tcp_fin_timeout` (60 s unless changed).
pub fn fin_timeout() -> std::time::Duration {
    static SECS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let secs = SECS.get_or_init(|| {
        let text =
            std::fs::read_to_string("/proc/sys/net/ipv4/tcp_fin_timeout").unwrap_or_default();
        text.trim().parse().unwrap_or(60)
    });
    std::time::Duration::from_secs(*secs)
}

/// Whether this kernel lists bound-but-idle sockets in sock_diag (Linux 6.8 added
/// BOUND-INACTIVE); before that such a socket is invisible, which is not a mismatch.
pub fn kernel_lists_bound_sockets() -> bool {
    kernel_version().is_some_and(|v| v >= (6, 8))
}

/// The running kernel's (major, minor), from `uname(2)`.
pub fn kernel_version() -> Option<(u32, u32)> {
    let uts = nix::sys::utsname::uname().ok()?;
    let release = uts.release().to_string_lossy().into_owned();
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_ss_prints_them() {
        for a in [
            "0.0.0.0:0",
            "1.22.103.4:9",
            "255.255.255.255:65535",
            "[::]:0",
            "[::1]:80",
            "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
        ] {
            let a = a.parse().unwrap();
            assert_eq!(ss_addr_len(&a), ss_addr(&a).len(), "{a}");
            // Put among other bytes, it is the same text, and ends where its length says.
            let mut line = [b'#'; 64];
            assert_eq!(put_ss_addr(&mut line, 3, &a), 3 + ss_addr_len(&a), "{a}");
            assert_eq!(&line[3..3 + ss_addr_len(&a)], ss_addr(&a).as_bytes());
            assert_eq!(line[3 + ss_addr_len(&a)], b'#');
        }
        assert_eq!(ss_addr(&"0.0.0.0:0".parse().unwrap()), "0.0.0.0:*");
        assert_eq!(ss_addr(&"[::]:8888".parse().unwrap()), "*:8888");
        assert_eq!(ss_addr(&"[::1]:8888".parse().unwrap()), "[::1]:8888");
        assert_eq!(
            ss_addr(&"[::ffff:127.0.0.1]:80".parse().unwrap()),
            "[::ffff:127.0.0.1]:80"
        );
    }

    #[test]
    fn the_default_mask_is_what_ss_asks_for() {
        let f = Filter::default();
        assert_eq!(f.state_mask() & TcpState::BoundInactive.flag(), 0);
        assert_ne!(f.state_mask() & TcpState::TimeWait.flag(), 0);
        let f = Filter {
            bound: true,
            ..Filter::default()
        };
        assert_ne!(f.state_mask() & TcpState::BoundInactive.flag(), 0);
        let f = Filter {
            listening: true,
            ..Filter::default()
        };
        assert_eq!(f.state_mask(), TcpState::Listen.flag());
    }

    #[test]
    fn timers_print_as_ss_prints_them() {
        let ms = |n| {
            let mut s = String::new();
            write_ms(&mut s, n);
            s
        };
        assert_eq!(ms(59_000), "59sec");
        assert_eq!(ms(1_200), "1.2sec");
        assert_eq!(ms(800), "800ms");
        assert_eq!(ms(0), "0ms");
        assert_eq!(ms(9_960), "10.0sec");
        for n in (0..200_000)
            .step_by(7)
            .chain([999, 1000, 9_999, 10_000, u32::MAX])
        {
            assert_eq!(ms_len(n).unwrap_or(ms(n).len()), ms(n).len(), "{n} ms");
        }
    }
}
