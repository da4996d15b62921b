//! The wire in the funnel: every segment a capture reads becomes an [`Event`] of kind
//! `segment`, in the same order as the calls.
//!
//! The order is the trick. A call's place is its ticket, taken when the call took effect. Before
//! any ticket is handed out, the capture is drained and each waiting segment gets an earlier
//! one. A segment is queued to the capture before TCP handles it (see
//! [`crate::wire::capture`]), so a `recv()` that returned bytes always comes after the segment
//! that carried them, and a state change the kernel shows comes after the segment that caused
//! it. Without an observer thread (a lesson) nothing else drains, so every run prints the same
//! trace; with one (`lab trace --net`, `--step`), a thread of the capture's own drains as
//! segments arrive.

use super::event::{Event, Kind, SHOW_BYTES};
use super::{Inner, Tracer, Waiting};
use crate::i18n::{f, M};
use crate::wire::capture::{Capture, Packet};
use crate::wire::pcap::PcapWriter;
use crate::wire::{segment, Segment, Streams};
use std::fs::File;
use std::io::{self, BufWriter};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// Which segments the trace shows (`--wire`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Show {
    /// None (they are still captured, counted, and written to `--pcap`).
    Off,
    /// SYN, FIN, RST, data, the ACKs that answer a SYN or a FIN, and anything Wireshark would
    /// flag; not the ACKs of data.
    #[default]
    Summary,
    /// Every segment.
    All,
}

impl Tap {
    /// Whether every ticket drains the capture first, to put the segments in order with the
    /// calls: yes if any is shown, or if nothing else drains it (no thread of its own).
    pub(super) fn orders_calls(&self, live: bool) -> bool {
        self.show != Show::Off || !live
    }
}

impl Show {
    /// Whether the trace shows `seg`.
    pub fn shows(self, seg: &Segment) -> bool {
        match self {
            Show::Off => false,
            Show::Summary => !seg.is_pure_ack() || seg.acks_control,
            Show::All => true,
        }
    }
}

/// A capture feeding the funnel.
pub struct Tap {
    capture: &'static Capture,
    show: Show,
    state: Mutex<TapState>,
}

struct TapState {
    streams: Streams,
    pcap: Option<Pcap>,
    /// Segments captured, and how many of them the trace did not show.
    seen: u64,
    hidden: u64,
    /// Packets the capture missed before this trace began, and (counted the same way, since
    /// the process began) those the trace has already said it missed.
    missed_before: u64,
    missed: u64,
}

/// A pcapng file being written.
pub type Pcap = PcapWriter<BufWriter<File>>;

/// Opens `--pcap FILE` for writing, before anything runs: a path that cannot be written is
/// an error now, not after the lesson.
pub fn open_pcap(path: &Path) -> io::Result<Pcap> {
    let file = File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("--pcap {}: {e}", path.display())))?;
    PcapWriter::new(BufWriter::new(file))
}

/// A segment's sender, by the socket the trace knows at its address, or the call still waiting
/// its turn that tells it (a `connect()`'s SYN goes out before the call returns with its
/// port); `wire` if none.
pub(super) fn name_sender(ev: &mut Event, inner: &Inner) {
    let (Kind::Segment, true, Some(seg)) = (ev.kind, ev.actor.is_empty(), ev.segment.as_deref())
    else {
        return;
    };
    let pending = || {
        inner.waiting.values().find_map(|w| {
            w.evs.last().filter(|c| c.local == Some(seg.src))?;
            w.sock
                .as_ref()
                .map(|s| s.actor.lock().unwrap_or_else(|p| p.into_inner()).clone())
        })
    };
    ev.actor = inner
        .watches
        .owner(seg.src, seg.dst)
        .or_else(pending)
        .unwrap_or_else(|| "wire".into());
}

impl Tracer {
    /// Starts capturing the wire into this trace (lab's own network only): each segment an
    /// event, shown as `show` says, each packet also written to `pcap`.
    /// `LAB_CAPTURE=off` leaves the wire uncaptured (the arrows inferred, as on a machine that
    /// refuses lab a network of its own): what benches/capture_cost.sh compares with.
    pub fn capture_wire(self: &Arc<Self>, show: Show, pcap: Option<Pcap>) -> io::Result<()> {
        if std::env::var_os("LAB_CAPTURE").is_some_and(|v| v == "off") {
            return Ok(());
        }
        let capture = Capture::shared()?;
        // What an earlier trace in this process missed is not this one's.
        let missed = capture.missed();
        let state = TapState {
            streams: Streams::new(),
            pcap,
            seen: 0,
            hidden: 0,
            missed_before: missed,
            missed,
        };
        if self
            .tap
            .set(Tap {
                capture,
                show,
                state: Mutex::new(state),
            })
            .is_err()
        {
            return Ok(());
        }
        if show != Show::Off {
            self.tell_wire();
        }
        if self.live.load(Ordering::Acquire) {
            self.drain_live();
        }
        Ok(())
    }

    /// With an observer thread, segments are drained as they arrive by a thread of their own.
    pub(super) fn drain_live(self: &Arc<Self>) {
        let me: Weak<Tracer> = Arc::downgrade(self);
        let _ = std::thread::Builder::new()
            .name("lab-capture".into())
            .spawn(move || loop {
                let Some(t) = me.upgrade() else { return };
                let Some(tap) = t.tap.get() else { return };
                if tap.capture.wait(Duration::from_millis(50)) {
                    let mut inner = t.lock();
                    t.drain_into(&mut inner);
                    t.deliver_ready(&mut inner);
                }
            });
    }

    /// Whether the wire shows `local` sent its FIN to `peer` (segments captured so far are
    /// drained first); `None` when the wire is not captured.
    pub(crate) fn fin_on_wire(&self, local: SocketAddr, peer: SocketAddr) -> Option<bool> {
        let tap = self.tap.get()?;
        let mut inner = self.lock();
        self.drain_into(&mut inner);
        let st = tap.state.lock().unwrap_or_else(|p| p.into_inner());
        Some(st.streams.sent_fin(local, peer))
    }

    /// Is the wire captured in this trace?
    pub fn captures_wire(&self) -> bool {
        self.tap.get().is_some()
    }

    /// Every segment waiting in the capture, each an event with a ticket of its own, before
    /// any later ticket. Called with the trace's lock held. They are delivered with the next
    /// event: by then the call that sent a segment has told whose socket it was (a connecting
    /// socket's port is known only once `connect()` returns, after its SYN).
    pub(super) fn drain_into(&self, inner: &mut Inner) {
        self.drain_packets(inner, false);
    }

    /// [`Self::drain_into`]; and whenever packets came (or on the `last` look, at the end), a
    /// note in their place if the kernel dropped any meanwhile: the trace says where it has a
    /// hole, and the notes add up to the summary's count.
    fn drain_packets(&self, inner: &mut Inner, last: bool) {
        let Some(tap) = self.tap.get() else { return };
        let mut st = tap.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.now_us();
        let got = tap
            .capture
            .drain(|p| self.one_packet(inner, tap, &mut st, p, now));
        if got == 0 && !last {
            return;
        }
        let missed = tap.capture.missed();
        if missed > st.missed {
            let words = f(M::WireMissed, &[&(missed - st.missed)]);
            st.missed = missed;
            let ev = Event::words(Kind::Note, "wire", words);
            let n = self.tickets.fetch_add(1, Ordering::AcqRel);
            let evs = vec![ev];
            inner.waiting.insert(
                n,
                Waiting {
                    t_us: now,
                    evs,
                    sock: None,
                },
            );
        }
    }

    fn one_packet(&self, inner: &mut Inner, tap: &Tap, st: &mut TapState, p: Packet, now: u64) {
        // Seen before this trace began: an earlier trace's in the same process.
        if p.at < self.start_wall {
            return;
        }
        if let Some(pcap) = &mut st.pcap {
            let _ = pcap.packet(&p.bytes, p.len, p.at);
        }
        let Some(h) = segment::parse(&p.bytes, p.len, SHOW_BYTES) else {
            return;
        };
        let seg = st.streams.see(&h, p.at.as_micros() as u64);
        st.seen += 1;
        if !tap.show.shows(&seg) {
            st.hidden += 1;
            return;
        }
        // Named when delivered (see above); timed when the kernel saw it, or when drained if
        // the clocks disagree.
        let ev = Event::segment("", seg);
        let t_us = self.wall_us(p.at).unwrap_or(now).min(now);
        let n = self.tickets.fetch_add(1, Ordering::AcqRel);
        inner.waiting.insert(
            n,
            Waiting {
                t_us,
                evs: vec![ev],
                sock: None,
            },
        );
    }

    /// Delivers every segment captured so far, now (a lesson's `wire` step waits for one).
    pub fn drain_wire(&self) {
        if self.tap.get().is_none() {
            return;
        }
        let mut inner = self.lock();
        self.drain_into(&mut inner);
        self.deliver_ready(&mut inner);
    }

    /// The end of a captured run: the last segments, the file flushed, and a line that says
    /// how many segments there were, how many the trace left out, and how many were missed.
    pub fn wire_summary(&self) {
        let Some(tap) = self.tap.get() else { return };
        {
            let mut inner = self.lock();
            self.drain_packets(&mut inner, true);
            self.deliver_ready(&mut inner);
        }
        let (seen, hidden, missed) = {
            let mut st = tap.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(pcap) = &mut st.pcap {
                let _ = pcap.flush();
            }
            (st.seen, st.hidden, st.missed - st.missed_before)
        };
        // Each mode says exactly what it left out: nothing (all), the ACKs of data (summary),
        // every segment (off).
        let words = match tap.show {
            Show::All => f(M::WireSummaryAll, &[&seen, &missed]),
            Show::Summary => f(M::WireSummary, &[&seen, &hidden, &missed]),
            Show::Off => f(M::WireSummaryOff, &[&seen, &missed]),
        };
        self.emit(Event::words(Kind::Note, "wire", words));
    }
}
