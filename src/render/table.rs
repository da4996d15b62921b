//! The socket table of `lab sockets`, like `ss -tan` (and `ss -tanp` with owners).

use super::human::{paint, Style};
use crate::kernel::owners::{self, Owner};
use crate::kernel::table::{
    decimal_len, put_bytes, put_decimal, put_ss_addr, ss_addr, ss_addr_len, Filter, KernelTable,
    SocketRow,
};
use crate::tcp_state::TcpState;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};

/// `lab sockets`: the rows `filter` keeps, as a table on stdout, or one JSON object per line;
/// `processes` adds each socket's owner (pid/program fd=N) where this user may see it.
pub fn sockets(filter: &Filter, processes: bool, json: bool, color: bool) -> io::Result<()> {
    let rows = KernelTable::open()?.rows(filter)?;
    let owned = processes.then(owners::socket_owners);
    // Large writes: 20,000 rows are 1.5 MB, and each write to a pipe is a system call.
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    if !json {
        write(
            &mut out,
            &rows,
            owned.as_ref(),
            color,
            io::stdout().is_terminal(),
        )?;
        return out.flush();
    }
    for r in &rows {
        let mut v = serde_json::to_value(r).map_err(io::Error::other)?;
        let owner = owned
            .as_ref()
            .and_then(|map| map.get(&r.inode))
            .filter(|_| r.inode != 0);
        if let (Some(o), Some(obj)) = (owner, v.as_object_mut()) {
            obj.insert(
                "process".into(),
                serde_json::to_value(o).map_err(io::Error::other)?,
            );
        }
        writeln!(out, "{v}")?;
    }
    out.flush()
}

/// Writes the table: comfy-table boxes on a terminal, plain columns (like ss) in a pipe.
/// `owners` adds the Process column (`-p`).
pub fn write(
    out: &mut impl Write,
    rows: &[SocketRow],
    owners: Option<&HashMap<u64, Vec<Owner>>>,
    color: bool,
    boxed: bool,
) -> io::Result<()> {
    if boxed {
        writeln!(out, "{}", boxed_table(rows, owners, color))
    } else {
        write_plain(out, rows, owners)
    }
}

const HEADER: [&str; 9] = [
    "State", "Recv-Q", "Send-Q", "Local", "Peer", "uid", "inode", "Timer", "Process",
];
/// Which columns are numbers, aligned right as ss does.
const NUMERIC: [bool; 9] = [false, true, true, false, false, true, true, false, false];

/// The cells of one row, as text.
fn cells(r: &SocketRow, owners: Option<&HashMap<u64, Vec<Owner>>>) -> Vec<String> {
    let mut c = vec![
        r.state_name().to_string(),
        r.recv_q.to_string(),
        r.send_q.to_string(),
        ss_addr(&r.local),
        ss_addr(&r.peer),
        r.uid.to_string(),
        r.inode.to_string(),
        r.timer_text(),
    ];
    if let Some(map) = owners {
        // Inode 0 (TIME-WAIT) belongs to no fd, so to no process.
        c.push(
            map.get(&r.inode)
                .filter(|_| r.inode != 0)
                .map(|o| owners::describe(o))
                .unwrap_or_default(),
        );
    }
    c
}

/// Plain aligned columns for pipes and files, written directly: on 10,000 rows a table engine's
/// per-cell layout work would make `lab sockets` slower than `ss -tan`, which is the bar. Two
/// passes over the rows: the first measures every cell (an IPv4 address's width is counted,
/// not written), the second writes each line into a buffer (see [`Layout`]), written out in
/// large writes — no text is kept between them.
pub fn write_plain(
    out: &mut impl Write,
    rows: &[SocketRow],
    owners: Option<&HashMap<u64, Vec<Owner>>>,
) -> io::Result<()> {
    /// How much text is gathered before each write (a system call each).
    const CHUNK: usize = 1 << 16;
    let ncols = if owners.is_some() { 9 } else { 8 };
    let mut width: Vec<usize> = HEADER[..ncols].iter().map(|h| h.len()).collect();
    let mut scratch = String::new();
    for r in rows {
        for (w, m) in width.iter_mut().zip(measure(r, owners, &mut scratch)) {
            *w = (*w).max(m);
        }
    }
    scratch.clear();
    write_cells(&mut scratch, &width, HEADER[..ncols].iter().copied());
    let mut buf = Vec::with_capacity(CHUNK + 1024);
    buf.extend_from_slice(scratch.trim_end().as_bytes());
    buf.push(b'\n');
    let layout = Layout::of(&width, owners.is_some());
    for r in rows {
        layout.put_row(&mut buf, r, owners, &mut scratch);
        if buf.len() >= CHUNK {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)
}

/// The width of each of `r`'s cells. Text that must be written to be measured (an IPv6
/// address, a timer with a decimal, the owners) is written into `scratch`.
fn measure(
    r: &SocketRow,
    owners: Option<&HashMap<u64, Vec<Owner>>>,
    scratch: &mut String,
) -> [usize; 9] {
    let timer = r.timer_len(scratch);
    let mut written = |write: &dyn Fn(&mut String)| {
        scratch.clear();
        write(scratch);
        scratch.chars().count()
    };
    [
        r.state_name().len(),
        decimal_len(r.recv_q.into()),
        decimal_len(r.send_q.into()),
        ss_addr_len(&r.local),
        ss_addr_len(&r.peer),
        decimal_len(r.uid.into()),
        decimal_len(r.inode),
        timer,
        written(&|s| write_owner(s, r, owners)),
    ]
}

/// Where each column of the table starts, and a blank line as wide as the columns before the
/// Process column. Every line starts as a copy of the blank one, and each cell's bytes are put
/// in their place: text from its column's start, numbers ending at its column's end (their
/// digits come out last first, so a right-aligned number needs no measuring). Then the
/// padding after the last cell is trimmed, as ss does. No formatter, no copy per cell: on
/// 10,000 rows, writing each cell with its padding was a tenth of the command's time.
struct Layout {
    start: Vec<usize>,
    end: Vec<usize>,
    blank: Vec<u8>,
}

impl Layout {
    fn of(width: &[usize], owners: bool) -> Layout {
        let start: Vec<usize> = width
            .iter()
            .scan(0, |at, w| {
                let here = *at;
                *at += w + 2;
                Some(here)
            })
            .collect();
        let end: Vec<usize> = start.iter().zip(width).map(|(s, w)| s + w).collect();
        // The Process column has no fixed width: it is added after the blank.
        let blank_len = if owners { start[8] } else { end[7] };
        Layout {
            start,
            end,
            blank: vec![b' '; blank_len],
        }
    }

    /// Row `r`'s line, appended to `buf`.
    fn put_row(
        &self,
        buf: &mut Vec<u8>,
        r: &SocketRow,
        owners: Option<&HashMap<u64, Vec<Owner>>>,
        scratch: &mut String,
    ) {
        let (start, end) = (&self.start, &self.end);
        let base = buf.len();
        buf.extend_from_slice(&self.blank);
        let line = &mut buf[base..];
        put_bytes(line, start[0], r.state_name().as_bytes());
        put_decimal(line, end[1], r.recv_q.into());
        put_decimal(line, end[2], r.send_q.into());
        put_ss_addr(line, start[3], &r.local);
        put_ss_addr(line, start[4], &r.peer);
        put_decimal(line, end[5], r.uid.into());
        put_decimal(line, end[6], r.inode);
        if r.timer.is_some() {
            scratch.clear();
            r.write_timer_text(scratch);
            put_bytes(line, start[7], scratch.as_bytes());
        }
        if owners.is_some() {
            scratch.clear();
            write_owner(scratch, r, owners);
            buf.extend_from_slice(scratch.as_bytes());
        }
        while buf.len() > base && buf.last() == Some(&b' ') {
            buf.pop();
        }
        buf.push(b'\n');
    }
}

/// The header, padded as the columns are (numbers right-aligned).
fn write_cells<'a>(line: &mut String, width: &[usize], cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = width[i].saturating_sub(cell.chars().count());
        if NUMERIC[i] {
            line.extend(std::iter::repeat_n(' ', pad));
        }
        line.push_str(cell);
        if !NUMERIC[i] {
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
}

/// The Process cell: who holds `r`'s socket (`-p`).
fn write_owner(s: &mut String, r: &SocketRow, owners: Option<&HashMap<u64, Vec<Owner>>>) {
    // Inode 0 (TIME-WAIT) belongs to no fd, so to no process.
    if let Some(o) = owners
        .and_then(|map| map.get(&r.inode))
        .filter(|_| r.inode != 0)
    {
        s.push_str(&owners::describe(o));
    }
}

/// A comfy-table box for the terminal, states colored.
pub fn boxed_table(
    rows: &[SocketRow],
    owners: Option<&HashMap<u64, Vec<Owner>>>,
    color: bool,
) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    // Measuring every cell to wrap them costs time on 10,000 rows; ss does not wrap either.
    t.set_content_arrangement(ContentArrangement::Disabled);
    let ncols = if owners.is_some() { 9 } else { 8 };
    t.set_header(HEADER[..ncols].to_vec());
    for r in rows {
        let row: Vec<Cell> = cells(r, owners)
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let text = if i == 0 {
                    paint(&text, style_of(r.state), color)
                } else {
                    text
                };
                let cell = Cell::new(text);
                if NUMERIC[i] {
                    cell.set_alignment(CellAlignment::Right)
                } else {
                    cell
                }
            })
            .collect();
        t.add_row(row);
    }
    t.to_string()
}

fn style_of(s: Option<TcpState>) -> Style {
    match s {
        Some(TcpState::Established) => Style::Good,
        Some(TcpState::Listen) => Style::State,
        Some(TcpState::TimeWait) | Some(TcpState::CloseWait) => Style::Note,
        _ => Style::Dim,
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::kernel::sock_diag::Timer;

    fn row(
        state: Option<TcpState>,
        q: (u32, u32),
        ends: (&str, &str),
        id: (u32, u64),
    ) -> SocketRow {
        SocketRow {
            state,
            recv_q: q.0,
            send_q: q.1,
            local: ends.0.parse().unwrap(),
            peer: ends.1.parse().unwrap(),
            uid: id.0,
            inode: id.1,
            timer: None,
        }
    }

    /// Every kind of cell: both families, `*` for an unspecified address or port, numbers of
    /// every width, timers, a state this build does not know, a TIME-WAIT row's inode 0.
    fn rows() -> Vec<SocketRow> {
        use TcpState::*;
        let mut tw = row(
            Some(TimeWait),
            (0, 0),
            ("127.0.0.1:54000", "127.0.0.1:7000"),
            (0, 0),
        );
        tw.timer = Some((Timer::Timewait, 59_000));
        let mut v6 = row(
            Some(Established),
            (7, 0),
            ("[::1]:8080", "[::ffff:10.0.0.1]:40000"),
            (1000, 7),
        );
        v6.timer = Some((Timer::On, 1_200));
        vec![
            row(
                Some(Listen),
                (0, 128),
                ("0.0.0.0:7000", "0.0.0.0:0"),
                (0, 12345),
            ),
            row(
                Some(Established),
                (5, 1_000_000),
                ("127.0.0.1:7000", "127.0.0.1:54321"),
                (1000, 99),
            ),
            tw,
            row(
                Some(Listen),
                (0, 4096),
                ("[::]:8080", "[::]:0"),
                (0, 4_000_000_000),
            ),
            v6,
            row(
                None,
                (0, 0),
                ("10.1.2.3:1", "192.168.100.200:65535"),
                (65534, 1),
            ),
        ]
    }

    /// The text of these lines, each ended by a newline.
    fn lines(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    fn plain(owners: Option<&HashMap<u64, Vec<Owner>>>) -> String {
        let mut out = Vec::new();
        write_plain(&mut out, &rows(), owners).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The table in a pipe, as `lab sockets` has always written it: changing how it is
    /// written must not change a byte of it.
    #[test]
    fn the_plain_table_is_aligned_as_ss_aligns_it() {
        assert_eq!(
            plain(None),
            lines(&[
                concat!(
                    "State      Recv-Q   Send-Q  Local            Peer                     ",
                    "  uid       inode  Timer",
                ),
                concat!(
                    "LISTEN          0      128  0.0.0.0:7000     0.0.0.0:*                ",
                    "    0       12345",
                ),
                concat!(
                    "ESTAB           5  1000000  127.0.0.1:7000   127.0.0.1:54321          ",
                    " 1000          99",
                ),
                concat!(
                    "TIME-WAIT       0        0  127.0.0.1:54000  127.0.0.1:7000           ",
                    "    0           0  timewait,59sec",
                ),
                concat!(
                    "LISTEN          0     4096  *:8080           *:*                      ",
                    "    0  4000000000",
                ),
                concat!(
                    "ESTAB           7        0  [::1]:8080       [::ffff:10.0.0.1]:40000  ",
                    " 1000           7  on,1.2sec",
                ),
                concat!(
                    "UNKNOWN         0        0  10.1.2.3:1       192.168.100.200:65535    ",
                    "65534           1",
                ),
            ])
        );
    }

    /// With `-p`: the Process column, a TIME-WAIT row's inode 0 owned by no one, a name's
    /// width counted in characters.
    #[test]
    fn the_plain_table_with_owners_pads_the_timer_column() {
        let owner = |pid, program: &str, fd| Owner {
            pid,
            program: program.into(),
            fd,
        };
        let owners = HashMap::from([
            (12345, vec![owner(42, "server", 3)]),
            (99, vec![owner(42, "server", 5), owner(43, "sérvér", 5)]),
            (0, vec![owner(1, "init", 9)]),
        ]);
        assert_eq!(
            plain(Some(&owners)),
            lines(&[
                concat!(
                    "State      Recv-Q   Send-Q  Local            Peer                     ",
                    "  uid       inode  Timer           Process",
                ),
                concat!(
                    "LISTEN          0      128  0.0.0.0:7000     0.0.0.0:*                ",
                    "    0       12345                  server/42 fd=3",
                ),
                concat!(
                    "ESTAB           5  1000000  127.0.0.1:7000   127.0.0.1:54321          ",
                    " 1000          99                  server/42 fd=5, sérvér/43 fd=5",
                ),
                concat!(
                    "TIME-WAIT       0        0  127.0.0.1:54000  127.0.0.1:7000           ",
                    "    0           0  timewait,59sec",
                ),
                concat!(
                    "LISTEN          0     4096  *:8080           *:*                      ",
                    "    0  4000000000",
                ),
                concat!(
                    "ESTAB           7        0  [::1]:8080       [::ffff:10.0.0.1]:40000  ",
                    " 1000           7  on,1.2sec",
                ),
                concat!(
                    "UNKNOWN         0        0  10.1.2.3:1       192.168.100.200:65535    ",
                    "65534           1",
                ),
            ])
        );
    }
}
