//! The picture of a run (`--html`, `--svg`), checked in a real browser: headless Chromium opens
//! the page, its own script finds the diagram and the table drawn (`data-check="ok"`), and a
//! screenshot of it is not blank.
//!
//! Needs `chromium` (apt-get install chromium); skipped loudly without it.

mod common;

use common::run::succeeds;
use common::{have_tool, lab, temp_dir, Proc};
use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Headless Chromium on `page`, with `args` (as root it needs --no-sandbox).
fn chromium(dir: &Path, page: &Path, args: &[&str]) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// Non-white pixels (as a share of all) and distinct colours of a PNG screenshot.
fn ink(png_path: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    let inked = pixels
        .iter()
        .filter(|p| p.iter().take(3).any(|c| *c < 240))
        .count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    (inked as f64 / pixels.len() as f64, colours.len())
}

#[test]
fn a_lessons_page_opens_in_chromium_with_its_diagram_and_table() {
    if !have_tool("chromium", "chromium") {
        return;
    }
    let dir = temp_dir("page");
    let page = dir.join("lifecycle.html");
    let svg = dir.join("lifecycle.svg");
    succeeds(
        lab()
            .args(["lesson", "run", "lifecycle", "--color", "never", "--html"])
            .arg(&page)
            .arg("--svg")
            .arg(&svg),
    );
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let dom = chromium(&dir, &page, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains(r#"data-check="ok""#),
        "the page's own check: {}",
        dom.lines()
            .find(|l| l.contains("data-check"))
            .unwrap_or(&dom)
    );
    let shot = dir.join("shot.png");
    let out = chromium(
        &dir,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1400",
        ],
    );
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (inked, colours) = ink(&shot);
    assert!(
        inked > 0.02 && colours > 8,
        "a blank page? {:.1}% inked, {colours} colours",
        inked * 100.0
    );
}

#[test]
fn a_traced_exchange_is_drawn_when_it_ends() {
    let dir = temp_dir("page-listen");
    let page = dir.join("listen.html");
    let mut c = lab();
    c.args(["listen", "127.0.0.1:0", "--color", "never", "--trace-file"])
        .arg(dir.join("t.txt"))
        .arg("--html")
        .arg(&page);
    let mut listen = Proc::spawn(c);
    // The trace goes to its file: stderr holds the one announcement line, whole once it ends.
    listen.wait_stderr("listening on 127.0.0.1:");
    let text = listen.wait_stderr("\n");
    let port: u16 = text.trim().rsplit(':').next().unwrap().parse().unwrap();
    let mut peer = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    peer.write_all(b"hola\n").unwrap();
    listen.wait_stdout("hola");
    drop(peer);
    let (code, _, _) = listen.finish();
    assert_eq!(code, 0);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("accept4") && html.contains("<svg") && html.contains("recv"),
        "{html}"
    );
}

/// `lab lesson run NAME --html PAGE`'s terminal trace (stdout, no color) and the page.
fn run_with_page(name: &str, dir: &Path) -> (String, String, String) {
    let page = dir.join(format!("{name}.html"));
    let out = succeeds(
        lab()
            .args(["lesson", "run", name, "--color", "never", "--html"])
            .arg(&page),
    );
    let html = std::fs::read_to_string(&page).unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        html,
    )
}

/// The terminal's lines by event number, each split into its columns (two spaces or more
/// apart); a `↳` line belongs to the event above it.
fn terminal_events(trace: &str) -> Vec<(u64, Vec<String>)> {
    let mut events: Vec<(u64, Vec<String>)> = Vec::new();
    let split = regex::Regex::new(r" {2,}").unwrap();
    for line in trace.lines() {
        let trimmed = line.trim();
        if let (Some(words), Some(last)) = (trimmed.strip_prefix("↳ "), events.last_mut()) {
            last.1.push(format!("↳ {words}"));
            continue;
        }
        let mut cols = split.split(trimmed).map(str::to_string);
        if let Some(Ok(seq)) = cols.next().map(|s| s.parse::<u64>()) {
            events.push((seq, cols.collect()));
        }
    }
    events
}

/// The text of the page's table rows for event `seq` (its number in the first cell, or in
/// `data-seq` for its words' row), cell by cell.
fn page_cells(html: &str, seq: u64) -> Vec<String> {
    let row = regex::Regex::new(r"<tr([^>]*)>(.*?)</tr>").unwrap();
    let cell = regex::Regex::new(r"<td[^>]*>(.*?)</td>").unwrap();
    let unescape = |s: &str| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    };
    row.captures_iter(html)
        .filter(|r| {
            r[1].contains(&format!("data-seq=\"{seq}\""))
                || r[2].starts_with(&format!("<td>{seq}</td>"))
        })
        .flat_map(|r| {
            cell.captures_iter(&r[2])
                .map(|c| unescape(&c[1]))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_page_holds_everything_the_terminal_shows_event_by_event() {
    let dir = temp_dir("page-holds");
    let mut explained = 0;
    // Between them: a listener's queues (`LISTEN 0/8`), a close through FIN-WAIT-1, the
    // kernel's own moves with their before → after and their `↳` words, a refused bind.
    for lesson in [
        "lifecycle",
        "reuseaddr",
        "half-close",
        "abortive-close",
        "connection-refused",
    ] {
        let (trace, _, html) = run_with_page(lesson, &dir);
        let events = terminal_events(&trace);
        assert!(events.len() > 8, "{lesson}: {trace}");
        for (seq, columns) in &events {
            let cells = page_cells(&html, *seq);
            assert!(
                !cells.is_empty(),
                "{lesson}: event {seq} is not on the page"
            );
            for column in columns {
                assert!(
                    cells.iter().any(|c| c.contains(column.as_str())),
                    "{lesson}, event {seq}: the terminal shows {column:?}, the page's row holds {cells:?}"
                );
            }
        }
        explained += events
            .iter()
            .filter(|(_, cols)| cols.iter().any(|c| c.starts_with("↳ ")))
            .count();
    }
    assert!(
        explained > 5,
        "the lessons' `↳` words were compared: {explained}"
    );
}

#[test]
fn the_page_reads_from_the_back_of_the_room_at_1280_px() {
    let dir = temp_dir("page-projector");
    let (trace, stderr, html) = run_with_page("lifecycle", &dir);
    let page = dir.join("lifecycle.html");
    assert!(
        stderr.contains(&format!("wrote {}\n", page.display())),
        "{stderr}"
    );
    // The lesson's notes are in the diagram too, in the order they happen, beside it.
    let notes: Vec<&str> = trace
        .lines()
        .filter_map(|l| l.split("  lesson  ").nth(1))
        .map(str::trim)
        .collect();
    let svg_notes = html
        .split(r#"<text class="note""#)
        .skip(1)
        .map(|n| n.split("</text>").next().unwrap());
    let svg_notes: Vec<String> = svg_notes
        .map(|n| {
            n.split("<tspan")
                .skip(1)
                .map(|t| t.split('>').nth(1).unwrap().split('<').next().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let in_svg: Vec<&str> = notes
        .iter()
        .copied()
        .filter(|n| svg_notes.iter().any(|s| s == n))
        .collect();
    assert!(
        notes.len() >= 4 && in_svg == notes,
        "the notes {notes:?}, the diagram's {svg_notes:?}"
    );
    if !have_tool("chromium", "chromium") {
        return;
    }
    let dom = chromium(&dir, &page, &["--dump-dom", "--window-size=1280,900"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    let body = dom
        .lines()
        .find(|l| l.contains("data-check"))
        .unwrap_or(&dom)
        .to_string();
    let attr = |name: &str| -> f64 {
        let at = body
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("no {name}: {body}"));
        body[at + name.len() + 2..]
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(body.contains(r#"data-check="ok""#), "{body}");
    assert!(
        attr("data-min-text") >= 16.0,
        "the smallest text on the page at 1280 px: {body}"
    );
    assert!(
        attr("data-diagram-width") >= 0.95,
        "the diagram takes the page's width: {body}"
    );
}

#[test]
fn the_pictures_title_keeps_the_commands_quoting() {
    let dir = temp_dir("page-title");
    let page = dir.join("t.html");
    let out = succeeds(
        lab()
            .args(["trace", "--color", "never", "--trace-file"])
            .arg(dir.join("t.txt"))
            .arg("--html")
            .arg(&page)
            .args(["--", "sh", "-c", "true & wait"]),
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let title = html
        .split("<title>")
        .nth(1)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    assert!(
        title.starts_with("lab trace ") && title.ends_with(" -- sh -c 'true &amp; wait'"),
        "{title}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("wrote {}", page.display())));
}
