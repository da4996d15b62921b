//! The captured packets as a pcapng file, which `tcpdump -r` and Wireshark open.
//!
//! Written by hand: pcapng's three blocks (section header, interface, enhanced packet) are a
//! few dozen lines, and the `pcap-file` crate's pcapng writer is only in a release candidate
//! (3.0.0-rc) that the project would have to pin. The format:
//! <https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html>.

use std::io::{self, Write};
use std::time::Duration;

/// The link type: raw IP, IPv4 or IPv6 by the first nibble (what a cooked capture hands over).
const LINKTYPE_RAW: u16 = 101;

/// A packet's comment, as an option of its block.
const OPT_COMMENT: u16 = 1;

/// Writes packets into a pcapng stream.
pub struct PcapWriter<W: Write> {
    out: W,
    /// One packet's block, built here and reused: no allocation per packet.
    epb: Vec<u8>,
}

impl<W: Write> PcapWriter<W> {
    /// Starts the file: its section header and one interface (`lo`, times in microseconds).
    pub fn new(mut out: W) -> io::Result<PcapWriter<W>> {
        // Section Header Block: byte-order magic, version 1.0, section length unknown (-1).
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        block(&mut out, 0x0A0D_0D0A, &shb)?;
        // Interface Description Block: link type, reserved, snap length (0: no limit).
        let mut idb = Vec::new();
        idb.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes());
        block(&mut out, 0x0000_0001, &idb)?;
        Ok(PcapWriter {
            out,
            epb: Vec::new(),
        })
    }

    /// One packet: `bytes` as captured (maybe cut), `len` its whole length, `at` since the epoch.
    pub fn packet(&mut self, bytes: &[u8], len: usize, at: Duration) -> io::Result<()> {
        self.packet_with_comment(bytes, len, at, None)
    }

    /// One packet with a comment Wireshark shows with it (`frame.comment`, and under Expert
    /// Info): lab's link says so of each packet it dropped.
    pub fn packet_with_comment(
        &mut self,
        bytes: &[u8],
        len: usize,
        at: Duration,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let us = at.as_micros() as u64;
        let epb = &mut self.epb;
        epb.clear();
        epb.extend_from_slice(&0u32.to_le_bytes()); // interface 0
        epb.extend_from_slice(&((us >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(us as u32).to_le_bytes());
        epb.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(len as u32).to_le_bytes());
        epb.extend_from_slice(bytes);
        epb.resize(epb.len().next_multiple_of(4), 0);
        if let Some(text) = comment {
            // Options: opt_comment (code 1, UTF-8, padded to 4 bytes), then opt_endofopt.
            epb.extend_from_slice(&OPT_COMMENT.to_le_bytes());
            epb.extend_from_slice(&(text.len() as u16).to_le_bytes());
            epb.extend_from_slice(text.as_bytes());
            epb.resize(epb.len().next_multiple_of(4), 0);
            epb.extend_from_slice(&[0; 4]);
        }
        block(&mut self.out, 0x0000_0006, epb)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One block: type, total length, body (a multiple of 4 bytes), total length again.
fn block(out: &mut impl Write, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_and_framed_by_their_length() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.packet(
            &[0x45, 1, 2, 3, 4],
            60,
            Duration::from_micros(1_700_000_000_123_456),
        )
        .unwrap();
        w.packet_with_comment(&[0x45, 9], 40, Duration::ZERO, Some("lost"))
            .unwrap();
        let out = w.out;
        assert_eq!(&out[..4], &0x0A0D_0D0Au32.to_le_bytes());
        let mut at = 0;
        let mut kinds = Vec::new();
        while at < out.len() {
            let kind = u32::from_le_bytes(out[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(out[at + 4..at + 8].try_into().unwrap()) as usize;
            assert_eq!(len % 4, 0);
            assert_eq!(
                out[at + len - 4..at + len],
                out[at + 4..at + 8],
                "trailing length"
            );
            kinds.push(kind);
            at += len;
        }
        assert_eq!(kinds, [0x0A0D_0D0A, 1, 6, 6]);
        let last = &out[out.len() - 16..];
        assert_eq!(
            &last[..8],
            &[1, 0, 4, 0, b'l', b'o', b's', b't'],
            "the comment option"
        );
    }
}
