//! The socket table of `lab sockets`, like `ss -tan` (and `ss -tanp` with owners).

use super::human::{paint, Style};
use crate::kernel::owners::{self, Owner};
use crate::kernel::table::{ss_addr, Filter, KernelTable, SocketRow};
use crate::tcp_state::TcpState;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};

/// `lab sockets`: the rows `filter` keeps, as a table on stdout, or one JSON object per line;
/// `processes` adds each socket's owner (pid/program fd=N) where this user may see it.
pub fn sockets(filter: &Filter, processes: bool, json: bool, color: bool) -> io::Result<()> {
    let rows = KernelTable::open()?.rows(filter)?;
    let owned = processes.then(owners::socket_owners);
    let mut out = io::BufWriter::new(io::stdout().lock());
    if !json {
        write(&mut out, &rows, owned.as_ref(), color, io::stdout().is_terminal())?;
        return out.flush();
    }
    for r in &rows {
        let mut v = serde_json::to_value(r).map_err(io::Error::other)?;
        let owner = owned.as_ref().and_then(|map| map.get(&r.inode)).filter(|_| r.inode != 0);
        if let (Some(o), Some(obj)) = (owner, v.as_object_mut()) {
            obj.insert("process".into(), serde_json::to_value(o).map_err(io::Error::other)?);
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

const HEADER: [&str; 9] = ["State", "Recv-Q", "Send-Q", "Local", "Peer", "uid", "inode", "Timer", "Process"];
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
        c.push(map.get(&r.inode).filter(|_| r.inode != 0).map(|o| owners::describe(o)).unwrap_or_default());
    }
    c
}

/// Plain aligned columns for pipes and files, written directly: on 10,000 rows a table engine's
/// per-cell layout work would make `lab sockets` slower than `ss -tan`, which is the bar.
pub fn write_plain(
    out: &mut impl Write,
    rows: &[SocketRow],
    owners: Option<&HashMap<u64, Vec<Owner>>>,
) -> io::Result<()> {
    let ncols = if owners.is_some() { 9 } else { 8 };
    let body: Vec<Vec<String>> = rows.iter().map(|r| cells(r, owners)).collect();
    let mut width: Vec<usize> = HEADER[..ncols].iter().map(|h| h.len()).collect();
    for row in &body {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = HEADER[..ncols].iter().map(|h| h.to_string()).collect();
    let mut line = String::new();
    for row in std::iter::once(&header).chain(body.iter()) {
        line.clear();
        for (i, cell) in row.iter().enumerate() {
            let pad = width[i].saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if NUMERIC[i] {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A comfy-table box for the terminal, states colored.
pub fn boxed_table(rows: &[SocketRow], owners: Option<&HashMap<u64, Vec<Owner>>>, color: bool) -> String {
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
                let text = if i == 0 { paint(&text, style_of(r.state), color) } else { text };
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
