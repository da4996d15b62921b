//! What a sequence diagram is made of, whoever draws it (the terminal, Mermaid, SVG): rows, top
//! to bottom — a call or state change on one lifeline, an arrow from one lifeline to another,
//! a note. Laid out from the calls in `diagram`, from the captured wire in `captured`.

use crate::tcp_state::TcpState;

/// One row of the diagram.
pub(crate) enum Row {
    /// A call or state change on one lifeline.
    On(On),
    /// Something that crossed from one lifeline to another.
    Arrow(Arrow),
    /// Words for the student where they happen in the run (a lesson's `note:`). Pictures that
    /// have room for them draw them beside the diagram; the terminal's diagram leaves them to
    /// the trace above it.
    Note(String),
}

/// A call or state change on one lifeline.
pub(crate) struct On {
    pub line: usize,
    /// `connect() = 0 CLOSE → ESTAB`.
    pub text: String,
    /// The lifeline's TCP state after it: `None` unchanged or unknown; `Some(None)` gone.
    pub after: Option<Option<TcpState>>,
}

/// An arrow between two lifelines.
pub(crate) struct Arrow {
    pub from: usize,
    pub to: usize,
    /// `SYN`, `"hola\n" (5 bytes)`.
    pub label: String,
    pub kind: ArrowKind,
}

/// What an arrow stands for. Each kind is drawn its own way, so a picture never passes off
/// one for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArrowKind {
    /// A segment seen on the wire, drawn at the time it was seen: a solid line.
    Captured,
    /// A segment lab's link dropped, and why: the line stops half way, at a ✗ (the textbook's
    /// picture of a lost segment).
    Dropped(&'static str),
    /// A segment the traced call or kernel move implies, by [`crate::transitions`]' rules, in a run
    /// whose wire no one captured: a dashed line, marked inferred.
    Inferred,
}
