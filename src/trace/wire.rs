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
use super::order::{Clock, Inner};
use crate::i18n::{f, Count, M};
use crate::wire::capture::{Capture, Packet};
use crate::wire::pcap::PcapWriter;
use crate::wire::{segment, Segment, Streams};
use std::fs::File;
use std::io::{self, BufWriter};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
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

impl Tap {
    /// A tap on the capture of lab's own network, showing segments as `show` says and
    /// writing every packet to `pcap`. `LAB_CAPTURE=off` leaves the wire uncaptured (`None`:
    /// the arrows inferred, as on a machine that refuses lab a network of its own): what
    /// benches/capture_cost.sh compares with.
    pub(super) fn open(show: Show, pcap: Option<Pcap>) -> io::Result<Option<Tap>> {
        if std::env::var_os("LAB_CAPTURE").is_some_and(|v| v == "off") {
            return Ok(None);
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
        Ok(Some(Tap {
            capture,
            show,
            state: Mutex::new(state),
        }))
    }

    /// Whether the trace shows any segment (`--wire summary` or `all`).
    pub(super) fn shows_any(&self) -> bool {
        self.show != Show::Off
    }

    /// Waits (at most `d`) for packets to arrive; whether any did.
    pub(super) fn wait(&self, d: Duration) -> bool {
        self.capture.wait(d)
    }

    /// Every segment waiting in the capture, as an event with its time, in the order captured;
    /// and whenever packets came (or on the `last` look, at the end), a note after them if the
    /// kernel dropped any meanwhile: the trace says where it has a hole, and the notes add up
    /// to the summary's count. The caller gives each its ticket, before any later one.
    pub(super) fn drain(&self, clock: &Clock, last: bool) -> Vec<(u64, Event)> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = clock.now_us();
        let mut out = Vec::new();
        let got = self.capture.drain(|p| {
            out.extend(self.one_packet(clock, &mut st, p, now));
        });
        if got == 0 && !last {
            return out;
        }
        let missed = self.capture.missed();
        if missed > st.missed {
            let words = f(M::WireMissed, &[&Count(missed - st.missed)]);
            st.missed = missed;
            out.push((now, Event::words(Kind::Note, "wire", words)));
        }
        out
    }

    fn one_packet(
        &self,
        clock: &Clock,
        st: &mut TapState,
        p: Packet,
        now: u64,
    ) -> Option<(u64, Event)> {
        // Seen before this trace began: an earlier trace's in the same process.
        if clock.before_start(p.at) {
            return None;
        }
        if let Some(pcap) = &mut st.pcap {
            let _ = pcap.packet(&p.bytes, p.len, p.at);
        }
        let h = segment::parse(&p.bytes, p.len, SHOW_BYTES)?;
        let seg = st.streams.see(&h, p.at.as_micros() as u64);
        st.seen += 1;
        if !self.show.shows(&seg) {
            st.hidden += 1;
            return None;
        }
        // Named when delivered (see `name_sender`); timed when the kernel saw it, or when
        // drained if the clocks disagree.
        let t_us = clock.wall_us(p.at).unwrap_or(now).min(now);
        Some((t_us, Event::segment("", seg)))
    }

    /// Whether the capture has missed any packet since this trace began: then the wire's
    /// silence proves nothing (what ended a connection, [`crate::transitions::ending`]).
    pub(super) fn missed_any(&self) -> bool {
        let before = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .missed_before;
        self.capture.missed() > before
    }

    /// Whether the segments drained so far show `local` sent its FIN to `peer`.
    pub(super) fn sent_fin(&self, local: SocketAddr, peer: SocketAddr) -> bool {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.streams.sent_fin(local, peer)
    }

    /// The end of a captured run (every segment drained): the file flushed, and the words that
    /// say how many segments there were, how many the trace left out, and how many were missed.
    pub(super) fn summary(&self) -> String {
        let (seen, hidden, missed) = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(pcap) = &mut st.pcap {
                let _ = pcap.flush();
            }
            (st.seen, st.hidden, st.missed - st.missed_before)
        };
        // Each mode says exactly what it left out: nothing (all), the ACKs of data (summary),
        // every segment (off).
        match self.show {
            Show::All => f(M::WireSummaryAll, &[&Count(seen), &missed]),
            Show::Summary => f(M::WireSummary, &[&Count(seen), &hidden, &missed]),
            Show::Off => f(M::WireSummaryOff, &[&Count(seen), &missed]),
        }
    }
}
