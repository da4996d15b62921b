//! The picture of a run (`--html`, `--svg`), checked in a real browser: headless Chromium opens
//! the page, its own script finds the diagram and the table drawn (`data-check="ok"`), and a
//! screenshot of it is not blank.
//!
//! Needs `chromium` (apt-get install chromium); skipped loudly without it.

mod common;

use common::{have_tool, lab, temp_dir, Proc};
use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Headless Chromium on `page`, with `args` (as root it needs --no-sandbox).
fn chromium(dir: &Path, page: &Path, args: &[&str]) -> std::process::Output {
    Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=3000"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// Non-white pixels (as a share of all) and distinct colours of a PNG screenshot.
fn ink(png_path: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    let inked = pixels.iter().filter(|p| p.iter().take(3).any(|c| *c < 240)).count();
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
    let out = lab()
        .args(["lesson", "run", "lifecycle", "--color", "never", "--html"])
        .arg(&page)
        .arg("--svg")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let dom = chromium(&dir, &page, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains(r#"data-check="ok""#),
        "the page's own check: {}",
        dom.lines().find(|l| l.contains("data-check")).unwrap_or(&dom)
    );
    let shot = dir.join("shot.png");
    let out = chromium(&dir, &page, &[&format!("--screenshot={}", shot.display()), "--window-size=1200,1400"]);
    assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let (inked, colours) = ink(&shot);
    assert!(inked > 0.02 && colours > 8, "a blank page? {:.1}% inked, {colours} colours", inked * 100.0);
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
    assert!(html.contains("accept4") && html.contains("<svg") && html.contains("recv"), "{html}");
}
