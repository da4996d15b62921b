//! One TCP segment, typed: what a capture read off the wire, and the same segment as the trace
//! shows it — sequence and acknowledgment numbers counted from each side's initial sequence
//! number (as Wireshark shows them), the window scaled, the SYN's options by name, and what
//! Wireshark would call it ([`Analysis`]; the rules that judge it are in `analysis`).
//!
//! The headers are read with `etherparse`, which checks every length before it reads.

use etherparse::{LaxNetSlice, LaxSlicedPacket, TcpOptionElement, TransportSlice};
use serde::Serialize;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// What Wireshark would call a segment (its "TCP analysis flags").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Analysis {
    /// Data (or a SYN, a FIN) sent again, after a timeout: its bytes were sent before.
    Retransmission,
    /// Sent again at once because the receiver sent duplicate ACKs asking for it.
    FastRetransmission,
    /// Sent again although the receiver had already acknowledged every byte of it (the
    /// sender's timer fired before the ACK arrived, or the ACK was lost).
    SpuriousRetransmission,
    /// Earlier bytes arriving just after later ones (sooner than a retransmission could).
    OutOfOrder,
    /// The same acknowledgment again, nothing new: the receiver is missing what comes next.
    DuplicateAck,
    /// The sender's receive buffer is full: the peer must stop sending.
    ZeroWindow,
    /// A probe the sender makes to a peer that offered a zero window: is there room yet?
    ZeroWindowProbe,
    /// Only the window changed: the receiver's application read, there is room again.
    WindowUpdate,
    /// A keep-alive (`SO_KEEPALIVE`): one byte before the end, to make the peer answer.
    KeepAlive,
    /// Its sequence number is past the end of what was seen: a segment before it was missed.
    PreviousSegmentNotCaptured,
}

impl Analysis {
    /// Wireshark's words for it.
    pub fn words(self) -> &'static str {
        match self {
            Analysis::Retransmission => "retransmission",
            Analysis::FastRetransmission => "fast retransmission",
            Analysis::SpuriousRetransmission => "spurious retransmission",
            Analysis::OutOfOrder => "out-of-order",
            Analysis::DuplicateAck => "duplicate ACK",
            Analysis::ZeroWindow => "zero window",
            Analysis::ZeroWindowProbe => "zero window probe",
            Analysis::WindowUpdate => "window update",
            Analysis::KeepAlive => "keep-alive",
            Analysis::PreviousSegmentNotCaptured => "previous segment not captured",
        }
    }
}

/// A segment's control bits, as in the TCP header (FIN is bit 0, CWR bit 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    pub const FIN: Flags = Flags(0x01);
    pub const SYN: Flags = Flags(0x02);
    pub const RST: Flags = Flags(0x04);
    pub const PSH: Flags = Flags(0x08);
    pub const ACK: Flags = Flags(0x10);
    pub const URG: Flags = Flags(0x20);
    pub const ECE: Flags = Flags(0x40);
    pub const CWR: Flags = Flags(0x80);

    /// Each flag with its name, in the header's bit order: the order Wireshark prints them in
    /// (`SYN,ACK`, `FIN,PSH,ACK`).
    const NAMES: [(Flags, &'static str); 8] = [
        (Flags::FIN, "FIN"),
        (Flags::SYN, "SYN"),
        (Flags::RST, "RST"),
        (Flags::PSH, "PSH"),
        (Flags::ACK, "ACK"),
        (Flags::URG, "URG"),
        (Flags::ECE, "ECE"),
        (Flags::CWR, "CWR"),
    ];

    /// Are all of `other`'s flags set?
    pub fn has(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Is any of `other`'s flags set?
    pub fn any(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl fmt::Display for Flags {
    /// `SYN,ACK`; no flag at all is `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Flags::NAMES
            .iter()
            .filter(|(b, _)| self.has(*b))
            .map(|(_, n)| *n)
            .collect();
        if names.is_empty() {
            return f.write_str("none");
        }
        f.write_str(&names.join(","))
    }
}

impl FromStr for Flags {
    type Err = String;
    /// `FIN,ACK` (any order, any case); the unknown name in the error.
    fn from_str(s: &str) -> Result<Flags, String> {
        let mut flags = Flags::default();
        for word in s.split(',').map(str::trim) {
            match Flags::NAMES
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(word))
            {
                Some((b, _)) => flags = flags | *b,
                None => return Err(word.to_string()),
            }
        }
        Ok(flags)
    }
}

impl Serialize for Flags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The options a SYN offers (they are negotiated once, in the handshake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SynOptions {
    /// Maximum segment size: the most data this side wants in one segment.
    pub mss: Option<u16>,
    /// Window scale: this side's windows are to be multiplied by 2^wscale (RFC 7323).
    pub wscale: Option<u8>,
    /// Selective acknowledgments permitted (RFC 2018).
    pub sack_perm: bool,
    /// Timestamps on every segment (RFC 7323).
    pub timestamps: bool,
}

impl fmt::Display for SynOptions {
    /// As tcpdump writes them: `mss 65495,sackOK,TS,wscale 7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(m) = self.mss {
            parts.push(format!("mss {m}"));
        }
        if self.sack_perm {
            parts.push("sackOK".into());
        }
        if self.timestamps {
            parts.push("TS".into());
        }
        if let Some(w) = self.wscale {
            parts.push(format!("wscale {w}"));
        }
        f.write_str(&parts.join(","))
    }
}

/// A TCP header as it was on the wire: absolute numbers, the window unscaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub flags: Flags,
    pub seq: u32,
    pub ack: u32,
    /// The window field, before scaling.
    pub win: u16,
    pub options: SynOptions,
    /// The payload's length.
    pub len: u32,
    /// The payload's first bytes (as many as asked for).
    pub head: Vec<u8>,
}

/// Reads the TCP header of an IPv4 or IPv6 packet (the bytes from the IP header on, as a
/// cooked `AF_PACKET` socket hands them), keeping the first `keep` bytes of its payload.
/// `packet` may be the packet's first bytes only (a capture keeps the headers); `wire_len` is
/// its whole length. `None`: not TCP, or cut inside the headers.
pub fn parse(packet: &[u8], wire_len: usize, keep: usize) -> Option<Header> {
    let sliced = LaxSlicedPacket::from_ip(packet).ok()?;
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match sliced.net? {
        LaxNetSlice::Ipv4(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        LaxNetSlice::Ipv6(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        LaxNetSlice::Arp(_) => return None,
    };
    let Some(TransportSlice::Tcp(tcp)) = sliced.transport else {
        return None;
    };
    let mut options = SynOptions::default();
    for opt in tcp.options_iterator().flatten() {
        match opt {
            TcpOptionElement::MaximumSegmentSize(m) => options.mss = Some(m),
            TcpOptionElement::WindowScale(w) => options.wscale = Some(w),
            TcpOptionElement::SelectiveAcknowledgementPermitted => options.sack_perm = true,
            TcpOptionElement::Timestamp(..) => options.timestamps = true,
            _ => {}
        }
    }
    let payload = tcp.payload();
    // Where the data starts in the packet: what follows, up to the whole length, is data.
    let at = payload.as_ptr() as usize - packet.as_ptr() as usize;
    Some(Header {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        flags: Flags(tcp.header_slice()[13]),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        win: tcp.window_size(),
        options,
        len: wire_len.saturating_sub(at) as u32,
        head: payload[..payload.len().min(keep)].to_vec(),
    })
}

/// One segment as the trace shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Who sent it, and to whom.
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub flags: Flags,
    /// The sequence number, counted from the sender's initial one (the SYN's is 0; the first
    /// data byte is 1): the data's place in the stream.
    pub seq: u32,
    /// The acknowledgment number, counted from the receiver's initial one; 0 without ACK.
    pub ack: u32,
    /// How many bytes of data it carried.
    pub len: u32,
    /// Its first bytes.
    pub data: Vec<u8>,
    /// The window it offered, scaled (bytes the sender can still receive); the SYN's unscaled.
    pub win: u32,
    /// The options a SYN offered; `None` on any other segment.
    pub options: Option<SynOptions>,
    /// What it is, in Wireshark's words (empty for an ordinary segment).
    pub analysis: Vec<Analysis>,
    /// It is the first to acknowledge the peer's SYN or FIN (the handshake's last ACK, the
    /// close's ACKs): it moves a state, and is shown even when ACKs of data are not.
    pub acks_control: bool,
    /// Drawn from the calls, not captured: no capture was possible.
    pub inferred: bool,
    /// Sent, and never delivered: lab's link dropped it (`lab net`), and why.
    pub dropped: Option<Dropped>,
}

/// Why lab's link dropped a segment: each is a rule of the link (`lab net --link …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// `partition`: the hosts cannot reach each other at all.
    Partition,
    /// `mtu N`: the packet is bigger than the link carries.
    TooBig,
    /// `drop …`: the script said this one.
    Scripted,
    /// `loss P%`: chance.
    Lost,
    /// `rate … queue N`, or the receiving host's own queue: full (tail drop).
    QueueFull,
}

impl Dropped {
    /// The words on a dropped arrow, in English: what a program reads (a pcap's comment).
    pub fn words(self) -> &'static str {
        match self {
            Dropped::Partition => "partition",
            Dropped::TooBig => "bigger than the link's MTU",
            Dropped::Scripted => "dropped as scripted",
            Dropped::Lost => "lost",
            Dropped::QueueFull => "queue full",
        }
    }

    /// The same, in the language lab speaks (the trace, the diagrams); [`Dropped::words`] stays
    /// English where a program reads it (a pcap's comment).
    pub fn said(self) -> &'static str {
        use crate::i18n::{t, M};
        t(match self {
            Dropped::Partition => M::DroppedPartition,
            Dropped::TooBig => M::DroppedTooBig,
            Dropped::Scripted => M::DroppedScripted,
            Dropped::Lost => M::DroppedLost,
            Dropped::QueueFull => M::DroppedQueueFull,
        })
    }
}

impl Segment {
    /// Is it a pure ACK: no data, nothing but ACK (and maybe PSH) set, nothing to flag?
    pub fn is_pure_ack(&self) -> bool {
        self.len == 0
            && !self.flags.any(Flags::SYN | Flags::FIN | Flags::RST)
            && self.analysis.is_empty()
    }

    /// Both ends, the sender's first: a connection's key whichever way a segment goes.
    pub fn ends(&self) -> (SocketAddr, SocketAddr) {
        (self.src, self.dst)
    }
}

/// A segment with every part a reader shows filled in, for the tests of those readers.
#[cfg(test)]
impl Segment {
    /// A retransmitted PSH,ACK from 127.0.0.1:40000 to 127.0.0.1:8888, seq=1 ack=1 win=65536,
    /// of `len` bytes, the first of them `data`.
    pub(crate) fn retransmitted(len: u32, data: &[u8]) -> Segment {
        Segment {
            src: "127.0.0.1:40000".parse().unwrap(),
            dst: "127.0.0.1:8888".parse().unwrap(),
            flags: Flags::PSH | Flags::ACK,
            seq: 1,
            ack: 1,
            len,
            data: data.to_vec(),
            win: 65536,
            options: None,
            analysis: vec![Analysis::Retransmission],
            acks_control: false,
            inferred: false,
            dropped: None,
        }
    }
}

impl fmt::Display for Segment {
    /// `SYN,ACK seq=0 ack=1 win=65483 len=0 <mss 65495,sackOK,TS,wscale 7> [retransmission]`,
    /// then the data: Wireshark's Info column, with tcpdump's option words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} seq={}", self.flags, self.seq)?;
        if self.flags.has(Flags::ACK) {
            write!(f, " ack={}", self.ack)?;
        }
        write!(f, " win={} len={}", self.win, self.len)?;
        if let Some(o) = &self.options {
            write!(f, " <{o}>")?;
        }
        if !self.analysis.is_empty() {
            let words: Vec<&str> = self.analysis.iter().map(|a| a.words()).collect();
            write!(f, " [{}]", words.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn packet(flags: &str, payload: &[u8]) -> Vec<u8> {
        let f: Flags = flags.parse().unwrap();
        let mut b =
            PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64).tcp(40000, 8888, 1000, 512);
        if f.has(Flags::SYN) {
            b = b
                .syn()
                .options(&[
                    TcpOptionElement::MaximumSegmentSize(65495),
                    TcpOptionElement::WindowScale(7),
                ])
                .unwrap();
        }
        if f.has(Flags::ACK) {
            b = b.ack(77);
        }
        if f.has(Flags::FIN) {
            b = b.fin();
        }
        if f.has(Flags::PSH) {
            b = b.psh();
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn flags_print_in_wiresharks_order_and_read_back() {
        assert_eq!((Flags::ACK | Flags::SYN).to_string(), "SYN,ACK");
        assert_eq!(
            (Flags::ACK | Flags::PSH | Flags::FIN).to_string(),
            "FIN,PSH,ACK"
        );
        assert_eq!("ack, fin".parse::<Flags>(), Ok(Flags::FIN | Flags::ACK));
        assert_eq!("SYN,AKC".parse::<Flags>(), Err("AKC".into()));
    }

    #[test]
    fn a_syn_is_read_with_its_options() {
        let p = packet("SYN", b"");
        let h = parse(&p, p.len(), 32).unwrap();
        assert_eq!(h.flags, Flags::SYN);
        assert_eq!(
            (h.src.to_string().as_str(), h.dst.port(), h.seq, h.win),
            ("127.0.0.1:40000", 8888, 1000, 512)
        );
        assert_eq!(h.options.mss, Some(65495));
        assert_eq!(h.options.wscale, Some(7));
        assert_eq!(h.options.to_string(), "mss 65495,wscale 7");
    }

    #[test]
    fn data_keeps_its_length_and_first_bytes() {
        let p = packet("PSH,ACK", b"HOLA\n");
        let h = parse(&p, p.len(), 2).unwrap();
        assert_eq!(
            (h.flags, h.ack, h.len, h.head.as_slice()),
            (Flags::PSH | Flags::ACK, 77, 5, &b"HO"[..])
        );
    }

    #[test]
    fn anything_but_tcp_is_none() {
        assert_eq!(parse(b"", 0, 32), None);
        assert_eq!(parse(&[0x45, 0, 0], 3, 32), None);
        let mut udp = Vec::new();
        PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .udp(1, 2)
            .write(&mut udp, b"x")
            .unwrap();
        assert_eq!(parse(&udp, udp.len(), 32), None);
        let cut = packet("PSH,ACK", b"HOLA\n");
        assert_eq!(
            parse(&cut[..30], cut.len(), 32),
            None,
            "cut inside the TCP header"
        );
    }

    #[test]
    fn a_packet_cut_after_its_headers_keeps_its_whole_length() {
        let p = packet("PSH,ACK", &[b'x'; 1000]);
        let h = parse(&p[..60], p.len(), 32).unwrap();
        assert_eq!((h.len, h.head.len()), (1000, 20));
    }
}
