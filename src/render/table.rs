//! The socket table of `lab sockets`, like `ss -tan` (and `ss -tanp` with owners).

use super::human::{paint, Style};
use crate::kernel::owners::{self, Owner};
use crate::kernel::table::{push_decimal, ss_addr, write_ss_addr, Filter, KernelTable, SocketRow};
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
/// per-cell layout work would make `lab sockets` slower than `ss -tan`, which is the bar. So
/// the text cells of all rows go into one buffer (no string per cell), then each line is
/// written with its padding.
pub fn write_plain(
    out: &mut impl Write,
    rows: &[SocketRow],
    owners: Option<&HashMap<u64, Vec<Owner>>>,
) -> io::Result<()> {
    let ncols = if owners.is_some() { 9 } else { 8 };
    let cells = TextCells::of(rows, owners, ncols);
    let mut line = String::new();
    write_cells(&mut line, &cells.width, HEADER[..ncols].iter().copied());
    end_line(out, &mut line)?;
    for (i, r) in rows.iter().enumerate() {
        line.clear();
        cells.write_row(&mut line, i, r, ncols);
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

/// The text cells of every row (local, peer, timer, process) in one buffer, and the width of
/// each column.
struct TextCells {
    arena: String,
    spans: Vec<[(usize, usize); 4]>,
    width: Vec<usize>,
}

impl TextCells {
    fn of(
        rows: &[SocketRow],
        owners: Option<&HashMap<u64, Vec<Owner>>>,
        ncols: usize,
    ) -> TextCells {
        let mut t = TextCells {
            arena: String::with_capacity(rows.len() * 48),
            spans: Vec::with_capacity(rows.len()),
            width: HEADER[..ncols].iter().map(|h| h.len()).collect(),
        };
        for r in rows {
            let mut span = [(0, 0); 4];
            for (k, slot) in span.iter_mut().enumerate() {
                let start = t.arena.len();
                let _ = match k {
                    0 => write_ss_addr(&mut t.arena, &r.local),
                    1 => write_ss_addr(&mut t.arena, &r.peer),
                    2 => write_timer(&mut t.arena, r),
                    _ => write_owner(&mut t.arena, r, owners),
                };
                *slot = (start, t.arena.len());
            }
            t.spans.push(span);
            let text = |k: usize| &t.arena[span[k].0..span[k].1];
            let measured = [
                r.state_name().len(),
                digits(r.recv_q as u64),
                digits(r.send_q as u64),
                text(0).len(),
                text(1).len(),
                digits(r.uid as u64),
                digits(r.inode),
                text(2).len(),
                text(3).chars().count(),
            ];
            for (w, m) in t.width.iter_mut().zip(measured) {
                *w = (*w).max(m);
            }
        }
        t
    }

    fn text(&self, row: usize, k: usize) -> &str {
        let (a, b) = self.spans[row][k];
        &self.arena[a..b]
    }

    /// Row `i` (which is `r`), padded: text left-aligned, numbers right-aligned, as ss does.
    /// Written by hand rather than with `write!`'s padding: on 50,000 rows the formatting
    /// machinery was a third of the command's time.
    fn write_row(&self, line: &mut String, i: usize, r: &SocketRow, ncols: usize) {
        let w = &self.width;
        let left = |line: &mut String, text: &str, width: usize| {
            line.push_str(text);
            pad(line, width.saturating_sub(text.len()));
        };
        let right = |line: &mut String, n: u64, width: usize| {
            pad(line, width.saturating_sub(digits(n)));
            push_decimal(line, n);
        };
        left(line, r.state_name(), w[0]);
        line.push_str("  ");
        right(line, r.recv_q as u64, w[1]);
        line.push_str("  ");
        right(line, r.send_q as u64, w[2]);
        line.push_str("  ");
        left(line, self.text(i, 0), w[3]);
        line.push_str("  ");
        left(line, self.text(i, 1), w[4]);
        line.push_str("  ");
        right(line, r.uid as u64, w[5]);
        line.push_str("  ");
        right(line, r.inode, w[6]);
        line.push_str("  ");
        if ncols == 9 {
            left(line, self.text(i, 2), w[7]);
            line.push_str("  ");
            line.push_str(self.text(i, 3));
        } else {
            // The last column: no padding to trim again.
            line.push_str(self.text(i, 2));
        }
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

/// How many digits `n` has in decimal.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

fn write_timer(s: &mut String, r: &SocketRow) -> std::fmt::Result {
    if r.timer.is_some() {
        s.push_str(&r.timer_text());
    }
    Ok(())
}

fn write_owner(
    s: &mut String,
    r: &SocketRow,
    owners: Option<&HashMap<u64, Vec<Owner>>>,
) -> std::fmt::Result {
    // Inode 0 (TIME-WAIT) belongs to no fd, so to no process.
    if let Some(o) = owners
        .and_then(|map| map.get(&r.inode))
        .filter(|_| r.inode != 0)
    {
        s.push_str(&owners::describe(o));
    }
    Ok(())
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
