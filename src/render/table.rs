//! The socket table of `lab sockets`, like `ss -tan` (and `ss -tanp` with owners).

use super::human::{paint, Style};
use crate::kernel::owners::{self, Owner};
use crate::kernel::table::{
    decimal_len, push_decimal, ss_addr, ss_addr_len, write_ss_addr, Filter, KernelTable, SocketRow,
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
/// not written), the second writes each line with its padding — no text is kept between
/// them, so 10,000 rows cost no memory besides the rows themselves.
pub fn write_plain(
    out: &mut impl Write,
    rows: &[SocketRow],
    owners: Option<&HashMap<u64, Vec<Owner>>>,
) -> io::Result<()> {
    let ncols = if owners.is_some() { 9 } else { 8 };
    let mut width: Vec<usize> = HEADER[..ncols].iter().map(|h| h.len()).collect();
    let mut line = String::new();
    for r in rows {
        for (w, m) in width.iter_mut().zip(measure(r, owners, &mut line)) {
            *w = (*w).max(m);
        }
    }
    line.clear();
    write_cells(&mut line, &width, HEADER[..ncols].iter().copied());
    end_line(out, &mut line)?;
    for r in rows {
        line.clear();
        write_row(&mut line, r, owners, &width);
        end_line(out, &mut line)?;
    }
    Ok(())
}

/// Writes `line` without its trailing padding, and a newline: bytes straight into the buffer
/// (`writeln!`'s formatting machinery, once per row, was a tenth of lab's own time).
fn end_line(out: &mut impl Write, line: &mut String) -> io::Result<()> {
    line.truncate(line.trim_end().len());
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// The width of each of `r`'s cells. Text that must be written to be measured (an IPv6
/// address, a timer, the owners) is written into `scratch`.
fn measure(
    r: &SocketRow,
    owners: Option<&HashMap<u64, Vec<Owner>>>,
    scratch: &mut String,
) -> [usize; 9] {
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
        written(&|s| r.write_timer_text(s)),
        written(&|s| write_owner(s, r, owners)),
    ]
}

/// Row `r`, padded to `width`: text left-aligned, numbers right-aligned, as ss does. Written
/// by hand rather than with `write!`'s padding: on 50,000 rows the formatting machinery was a
/// third of the command's time.
fn write_row(
    line: &mut String,
    r: &SocketRow,
    owners: Option<&HashMap<u64, Vec<Owner>>>,
    width: &[usize],
) {
    let right = |line: &mut String, n: u64, width: usize| {
        pad(line, width.saturating_sub(decimal_len(n)));
        push_decimal(line, n);
    };
    // Text, then the padding its width leaves.
    let left = |line: &mut String, width: usize, write: &dyn Fn(&mut String)| {
        let start = line.len();
        write(line);
        pad(line, width.saturating_sub(line.len() - start));
    };
    left(line, width[0], &|l| l.push_str(r.state_name()));
    line.push_str("  ");
    right(line, r.recv_q.into(), width[1]);
    line.push_str("  ");
    right(line, r.send_q.into(), width[2]);
    line.push_str("  ");
    left(line, width[3], &|l| {
        let _ = write_ss_addr(l, &r.local);
    });
    line.push_str("  ");
    left(line, width[4], &|l| {
        let _ = write_ss_addr(l, &r.peer);
    });
    line.push_str("  ");
    right(line, r.uid.into(), width[5]);
    line.push_str("  ");
    right(line, r.inode, width[6]);
    line.push_str("  ");
    if owners.is_some() {
        left(line, width[7], &|l| r.write_timer_text(l));
        line.push_str("  ");
        write_owner(line, r, owners);
    } else {
        // The last column: no padding to trim again.
        r.write_timer_text(line);
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

/// `n` spaces, appended a slice at a time.
fn pad(line: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        line.push_str(&SPACES[..k]);
        n -= k;
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
