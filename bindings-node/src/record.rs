//! The one crossing per trace: the facade's packed rendering of a finished trace
//! (`lib/crossing.ts`), read as the core's [`TraceView`].
//!
//! The format is private to this package and shaped for cheap production in JS: `text` is
//! every present string of the trace concatenated (UTF-16 code units, as JS holds them), and
//! `nums` holds every number plus, for each string slot, the slot's length in code units or
//! -1 when absent, in one fixed order that [`unpack`] reads back. Times are monotonic
//! milliseconds with one wall-clock anchor per trace; a scope whose id JS never asked for
//! gets its id here. The view borrows its strings from the text (converted once when it is
//! all ASCII, as it almost always is), so the engine encodes the trace without copying each
//! string into a record first. Structured payloads and metadata stay the JSON text JS made
//! of them: the encoder keeps text that already is its own rendering and parses the rest.

use std::borrow::Cow;
use std::time::Duration;

use trulayer_core::encode::{ErrorView, EventView, MetadataView, Outcome, PayloadView, SpanView, Text, TraceView};
use trulayer_core::{Level, SpanType, Timestamp, Uuid};

/// A finished trace as it crossed (copied out of JS).
#[derive(Clone, Copy)]
pub struct Packed<'a> {
    pub text: &'a [u16],
    pub nums: &'a [f64],
}

/// Reads the slots of a [`Packed`] trace in order. A short or inconsistent trace is never a
/// panic: a read past the numbers or the text yields a placeholder and records the fault,
/// and [`unpack`] returns the first fault as its error once the trace is read. (Checked once
/// per trace rather than at each of its hundred-odd slots.)
struct Reader<'a> {
    text: &'a [u16],
    /// The whole text as UTF-8 when it is all ASCII: converted in one pass, then each string
    /// is a slice of it.
    ascii: Option<&'a str>,
    at: usize,
    nums: &'a [f64],
    k: usize,
    fault: Option<String>,
}

fn malformed(what: &str) -> String {
    format!("malformed trace from the facade: {what}")
}

/// The text as UTF-8 in `buffer` when every unit is ASCII.
fn ascii_text<'a>(units: &[u16], buffer: &'a mut Vec<u8>) -> Option<&'a str> {
    buffer.clear();
    let mut any = 0;
    buffer.extend(units.iter().map(|&u| {
        any |= u;
        u as u8
    }));
    // SAFETY: every byte is below 0x80, and ASCII is valid UTF-8 (validating it again cost
    // 280 instructions per bench trace).
    (any < 0x80).then(|| unsafe { std::str::from_utf8_unchecked(buffer) })
}

impl<'a> Reader<'a> {
    fn new(p: Packed<'a>, ascii: &'a mut Vec<u8>) -> Self {
        Reader { text: p.text, ascii: ascii_text(p.text, ascii), at: 0, nums: p.nums, k: 0, fault: None }
    }

    /// Records `what` unless an earlier fault is recorded already.
    #[cold]
    fn fail(&mut self, what: impl FnOnce() -> String) {
        if self.fault.is_none() {
            self.fault = Some(what());
        }
    }

    fn num(&mut self) -> f64 {
        match self.nums.get(self.k) {
            Some(&v) => {
                self.k += 1;
                v
            }
            None => {
                self.fail(|| "too few numbers".into());
                f64::NAN
            }
        }
    }

    /// A count or index; negative means none.
    fn index(&mut self) -> Option<usize> {
        let v = self.num();
        (v >= 0.0).then_some(v as usize)
    }

    /// A count of items of at least `slots` numbers each: never more than the numbers left
    /// could hold, so a bad count cannot ask for a huge allocation.
    fn count(&mut self, slots: usize) -> usize {
        let n = self.index().unwrap_or(0);
        if n.saturating_mul(slots) > self.nums.len() - self.k {
            self.fail(|| format!("a count of {n} past the end"));
            return 0;
        }
        n
    }

    /// A string slot, borrowed from the text when it is ASCII; an unpaired surrogate (legal in
    /// JS strings) becomes U+FFFD.
    fn opt_str(&mut self) -> Option<Text<'a>> {
        let len = self.index()?;
        let range = self.at..self.at.saturating_add(len);
        self.at = range.end;
        let s = match self.ascii {
            Some(ascii) => ascii.get(range).map(Cow::Borrowed),
            None => self.text.get(range).map(|units| Cow::Owned(String::from_utf16_lossy(units))),
        };
        if s.is_none() {
            self.fail(|| "text shorter than its slots".into());
        }
        s
    }

    fn str(&mut self, what: &str) -> Text<'a> {
        self.opt_str().unwrap_or_else(|| {
            self.fail(|| format!("{what} is missing"));
            Cow::Borrowed("")
        })
    }

    /// A payload: a string, or the JSON text of a structured value.
    fn payload(&mut self) -> Option<PayloadView<'a>> {
        let text = self.opt_str();
        let is_json = self.num() == 1.0;
        text.map(|t| if is_json { PayloadView::Json(t) } else { PayloadView::Text(t) })
    }

    fn metadata(&mut self) -> MetadataView<'a> {
        let Some(json) = self.opt_str() else { return MetadataView::empty() };
        MetadataView::from_json(json).unwrap_or_else(|e| {
            self.fail(|| format!("metadata: {e}"));
            MetadataView::empty()
        })
    }

    /// A non-negative integer, or `None` for NaN.
    fn opt_count(&mut self) -> Option<i64> {
        let v = self.num();
        (!v.is_nan()).then_some(v as i64)
    }

    fn opt_id(&mut self) -> Option<Uuid> {
        let text = self.opt_str()?;
        Uuid::parse_str(&text).map_err(|_| self.fail(|| format!("id {text:?}"))).ok()
    }

    /// A span reference: an index among the ended spans, or an id.
    fn span_ref(&mut self) -> SpanRef {
        let index = self.index();
        let id = self.opt_id();
        match (index, id) {
            (Some(i), _) => SpanRef::Index(i),
            (None, Some(id)) => SpanRef::Id(id),
            (None, None) => SpanRef::None,
        }
    }
}

enum SpanRef {
    None,
    Index(usize),
    Id(Uuid),
}

impl SpanRef {
    fn resolve(&self, spans: &[SpanView<'_>]) -> Result<Option<Uuid>, String> {
        match *self {
            SpanRef::None => Ok(None),
            SpanRef::Id(id) => Ok(Some(id)),
            SpanRef::Index(i) => spans.get(i).map(|s| Some(s.id)).ok_or_else(|| malformed("span index out of range")),
        }
    }
}

/// The fields every scope has, in the order `common()` of crossing.ts writes them.
struct Common<'a> {
    id: Uuid,
    name: Text<'a>,
    start: Timestamp,
    end: Timestamp,
    outcome: Outcome<'a>,
    metadata: MetadataView<'a>,
}

fn common<'a>(r: &mut Reader<'a>, anchor_ms: f64) -> Common<'a> {
    let start_mono = r.num();
    let end_mono = r.num();
    let cost = r.num();
    let start_us = wall_micros(anchor_ms, start_mono);
    let id = r.opt_id().unwrap_or_else(|| id_at(start_us / 1000));
    let name = r.str("name");
    let input = r.payload();
    let output = r.payload();
    let model = r.opt_str();
    let kind = r.opt_str();
    let error = r.opt_str().map(|message| ErrorView { kind, message });
    let metadata = r.metadata();
    // Start plus the monotonic duration, so end - start always equals the measured latency
    // (as the core's Stopwatch does).
    let start = Timestamp::from_unix_micros(start_us);
    let elapsed = Duration::from_micros(round((end_mono - start_mono) * 1000.0).max(0.0) as u64);
    let latency_ms = Some(elapsed.as_millis() as u64);
    let cost = (!cost.is_nan()).then_some(cost);
    Common { id, name, start, end: start.add(elapsed), outcome: Outcome { input, output, model, latency_ms, cost, error }, metadata }
}

fn wall_micros(anchor_ms: f64, mono_ms: f64) -> i64 {
    round((anchor_ms + mono_ms) * 1000.0) as i64
}

/// `x` rounded half away from zero, as `f64::round` rounds it (but for the sign of a zero),
/// without its library call (x86_64's baseline has no rounding instruction; the calls took
/// about 190 instructions per bench trace).
fn round(x: f64) -> f64 {
    /// From 2^52 on every float is an integer.
    const INTEGRAL: f64 = 4_503_599_627_370_496.0;
    if x.is_nan() || x.abs() >= INTEGRAL {
        return x; // integral already (the infinities too), or NaN
    }
    let whole = x as i64 as f64;
    let fraction = x - whole; // exact: whole is x without its fraction bits
    if fraction >= 0.5 {
        whole + 1.0
    } else if fraction <= -0.5 {
        whole - 1.0
    } else {
        whole
    }
}

/// A UUIDv7 for a scope that started at Unix milliseconds `ms` (so ids sort by start, like
/// the ones JS makes): 48 bits of time, then 74 random bits.
fn id_at(ms: i64) -> Uuid {
    let mut bytes = fastrand::u128(..).to_be_bytes();
    bytes[..6].copy_from_slice(&(ms.max(0) as u64).to_be_bytes()[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
    bytes[8] = 0x80 | (bytes[8] & 0x3f); // RFC 4122 variant
    Uuid::from_bytes(bytes)
}

/// Numbers a span takes at least (`span()` in crossing.ts), and an event.
const SPAN_SLOTS: usize = 18;
const EVENT_SLOTS: usize = 6;

fn span_view<'a>(r: &mut Reader<'a>, anchor_ms: f64) -> (SpanView<'a>, SpanRef) {
    let c = common(r, anchor_ms);
    let prompt_tokens = r.opt_count();
    let completion_tokens = r.opt_count();
    let parent = r.span_ref();
    let span_type = SpanType::parse(&r.str("span type"));
    let span = SpanView {
        id: c.id,
        parent_span_id: None,
        name: c.name,
        span_type,
        outcome: c.outcome,
        prompt_tokens,
        completion_tokens,
        metadata: c.metadata,
        start_time: c.start,
        end_time: Some(c.end),
    };
    (span, parent)
}

fn event_view<'a>(r: &mut Reader<'a>, anchor_ms: f64) -> (EventView<'a>, SpanRef) {
    let ts_us = wall_micros(anchor_ms, r.num());
    let span = r.span_ref();
    let level = r.str("event level");
    let level = Level::parse(&level).unwrap_or_else(|| {
        r.fail(|| format!("event level {level:?}"));
        Level::Info
    });
    let event = EventView {
        id: id_at(ts_us / 1000),
        span_id: None,
        level,
        message: r.str("event message"),
        metadata: r.metadata(),
        timestamp: Timestamp::from_unix_micros(ts_us),
    };
    (event, span)
}

/// Buffers [`unpack`] reuses from trace to trace (allocating them took about a fifteenth of
/// its instructions).
#[derive(Default)]
pub struct Scratch {
    /// The text as UTF-8 when it is ASCII; the view borrows its strings from it.
    ascii: Vec<u8>,
    /// The span references of the spans, then of the events, until they are resolved.
    refs: Vec<SpanRef>,
}

/// Reads a packed trace as a view of its slots (borrowing from `scratch`). Errors mean a bug
/// in the facade, never in user data (every user string arrives as a slot of its own).
pub fn unpack<'a>(p: Packed<'a>, scratch: &'a mut Scratch) -> Result<TraceView<'a>, String> {
    let Scratch { ascii, refs } = scratch;
    refs.clear();
    let r = &mut Reader::new(p, ascii);
    let anchor_ms = r.num();
    let sampled = r.index().map(|v| v == 1);
    let c = common(r, anchor_ms);
    let session_id = r.opt_str();
    let external_id = r.opt_str();
    let user_id = r.opt_str();
    let tags = (0..r.count(1)).map(|_| r.str("tag")).collect();
    let tag_map = (0..r.count(2)).map(|_| (r.str("tag key"), r.str("tag value"))).collect();
    let span_count = r.count(SPAN_SLOTS);
    let mut spans = Vec::with_capacity(span_count);
    for _ in 0..span_count {
        let (span, parent) = span_view(r, anchor_ms);
        spans.push(span);
        refs.push(parent);
    }
    let event_count = r.count(EVENT_SLOTS);
    let mut events = Vec::with_capacity(event_count);
    for _ in 0..event_count {
        let (event, span) = event_view(r, anchor_ms);
        events.push(event);
        refs.push(span);
    }
    if let Some(fault) = r.fault.take() {
        return Err(malformed(&fault));
    }
    if r.k != p.nums.len() || r.at != p.text.len() {
        return Err(malformed("unread slots at the end"));
    }
    let (parents, event_spans) = refs.split_at(spans.len());
    for (i, parent) in parents.iter().enumerate() {
        spans[i].parent_span_id = parent.resolve(&spans)?;
    }
    for (event, span) in events.iter_mut().zip(event_spans) {
        event.span_id = span.resolve(&spans)?;
    }
    Ok(TraceView {
        id: c.id,
        project: None,
        environment: None,
        session_id,
        external_id,
        user_id,
        name: c.name,
        outcome: c.outcome,
        tags,
        tag_map,
        metadata: c.metadata,
        started_at: c.start,
        ended_at: Some(c.end),
        spans,
        events,
        sampled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use trulayer_core::TraceRecord;

    /// Builds a packed trace slot by slot, as crossing.ts does.
    #[derive(Default)]
    struct Packer {
        text: Vec<u16>,
        nums: Vec<f64>,
    }

    impl Packer {
        fn num(&mut self, v: f64) -> &mut Self {
            self.nums.push(v);
            self
        }
        fn str(&mut self, s: Option<&str>) -> &mut Self {
            match s {
                None => self.num(-1.0),
                Some(s) => {
                    self.text.extend(s.encode_utf16());
                    self.num(s.encode_utf16().count() as f64)
                }
            }
        }
        /// start, end, cost, id, name, input, output, model, error kind, error message, metadata
        fn common(&mut self, start: f64, end: f64, id: Option<&str>, name: &str) -> &mut Self {
            self.num(start).num(end).num(f64::NAN).str(id).str(Some(name));
            self.str(None).num(0.0).str(None).num(0.0).str(None).str(None).str(None).str(None)
        }
        /// The view, as a record.
        fn unpack(&self) -> Result<TraceRecord, String> {
            unpack(Packed { text: &self.text, nums: &self.nums }, &mut Scratch::default()).map(|v| v.to_record())
        }
        /// A trace named "t" whose input and output are JSON text.
        fn with_payloads(input: &str, output: &str) -> Packer {
            let mut p = Packer::default();
            p.num(ANCHOR).num(-1.0).num(0.0).num(1.0).num(f64::NAN).str(None).str(Some("t"));
            p.str(Some(input)).num(1.0).str(Some(output)).num(1.0);
            p.str(None).str(None).str(None).str(None).str(None).str(None).str(None).num(0.0).num(0.0).num(0.0).num(0.0);
            p
        }
    }

    const ANCHOR: f64 = 1_700_000_000_000.0;

    #[test]
    fn a_nested_trace_crosses_with_every_field() {
        let mut p = Packer::default();
        p.num(ANCHOR).num(0.0); // anchor, sampled = false
        p.num(10.0).num(12.5).num(0.25).str(Some("01900000-0000-7000-8000-000000000001")).str(Some("t"));
        p.str(Some("{\"q\":\"why?\"}")).num(1.0).str(Some("because")).num(0.0).str(Some("gpt")).str(Some("TypeError")).str(Some("boom"));
        p.str(Some("{\"k\":1}"));
        p.str(Some("s1")).str(None).str(Some("u1"));
        p.num(1.0).str(Some("beta")).num(1.0).str(Some("tier")).str(Some("pro"));
        p.num(2.0);
        // span 0: the child, ended first, whose parent is span 1 (by index)
        p.common(11.0, 11.5, None, "child").num(3.0).num(f64::NAN).num(1.0).str(None).str(Some("llm"));
        // span 1: directly under the trace
        p.common(10.5, 12.0, None, "parent").num(f64::NAN).num(f64::NAN).num(-1.0).str(None).str(Some("agent"));
        p.num(1.0).num(11.2).num(0.0).str(None).str(Some("warn")).str(Some("m")).str(None);
        let t = p.unpack().unwrap();
        assert_eq!(t.id.to_string(), "01900000-0000-7000-8000-000000000001");
        assert_eq!((t.input.clone(), t.output.clone()), (Some(json!({"q": "why?"})), Some(json!("because"))));
        assert_eq!(t.error.as_ref().unwrap().to_wire(), "TypeError: boom");
        assert_eq!((t.cost, t.sampled, t.latency_ms), (Some(0.25), Some(false), Some(2)));
        assert_eq!(t.started_at.unix_micros(), 1_700_000_000_010_000);
        assert_eq!(t.ended_at.unwrap().unix_micros() - t.started_at.unix_micros(), 2500);
        assert_eq!((t.session_id.as_deref(), t.user_id.as_deref(), t.external_id.as_deref()), (Some("s1"), Some("u1"), None));
        assert_eq!((t.tags.clone(), t.tag_map.get("tier").cloned()), (vec!["beta".to_owned()], Some("pro".to_owned())));
        assert_eq!(t.metadata.get("k"), Some(&json!(1)));
        let (child, parent) = (&t.spans[0], &t.spans[1]);
        assert_eq!((child.span_type.as_str(), child.prompt_tokens, child.completion_tokens), ("llm", Some(3), None));
        assert_eq!(child.parent_span_id, Some(parent.id));
        assert_eq!(parent.parent_span_id, None);
        assert_eq!(t.events[0].span_id, Some(child.id));
        assert_eq!(t.events[0].timestamp.unix_micros(), 1_700_000_000_011_200);
    }

    #[test]
    fn ids_made_here_are_v7_and_carry_the_start_time() {
        let mut p = Packer::default();
        p.num(ANCHOR).num(-1.0).common(5.0, 6.0, None, "t").str(None).str(None).str(None).num(0.0).num(0.0).num(0.0).num(0.0);
        let t = p.unpack().unwrap();
        assert_eq!(t.id.get_version_num(), 7);
        let ms = u64::from_be_bytes([0, 0, t.id.as_bytes()[0], t.id.as_bytes()[1], t.id.as_bytes()[2], t.id.as_bytes()[3], t.id.as_bytes()[4], t.id.as_bytes()[5]]);
        assert_eq!(ms, 1_700_000_000_005);
        assert_eq!(t.sampled, None);
    }

    #[test]
    fn strings_keep_non_ascii_text_and_a_string_payload_that_looks_like_json_stays_a_string() {
        let mut p = Packer::default();
        p.num(ANCHOR).num(-1.0).num(0.0).num(1.0).num(f64::NAN).str(None).str(Some("名前 ✓"));
        p.str(Some("{\"a\":1}")).num(0.0).str(Some("[1,2]")).num(1.0);
        p.str(None).str(None).str(None).str(None).str(None).str(None).str(None).num(0.0).num(0.0).num(0.0).num(0.0);
        let t = p.unpack().unwrap();
        assert_eq!(t.name, "名前 ✓");
        assert_eq!((t.input, t.output), (Some(json!("{\"a\":1}")), Some(json!([1, 2]))));
        let lone = [0xd800u16];
        assert_eq!(Reader { text: &lone, ascii: None, at: 0, nums: &[1.0], k: 0, fault: None }.opt_str().as_deref(), Some("\u{fffd}"));
    }

    #[test]
    fn rounding_matches_the_standard_library() {
        let mut rng = fastrand::Rng::with_seed(5);
        let halves = [0.5, 1.5, 2.5, -0.5, -1.5, 0.49999999999999994, -0.49999999999999994, 4503599627370495.5, 1.7e15 + 0.5];
        let randoms = (0..100_000).map(|_| (rng.f64() - 0.5) * 10f64.powi(rng.i32(0..17)));
        for x in halves.into_iter().chain(randoms).chain([f64::MAX, f64::MIN, 1e300]) {
            assert_eq!(round(x), x.round(), "{x}");
        }
        assert!(round(f64::NAN).is_nan());
        assert_eq!(round(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn the_view_encodes_to_the_bytes_of_its_record() {
        use trulayer_core::encode::{encode_trace, TraceDefaults};
        // JSON text in the encoder's form (kept as text by the encoder) and not (parsed).
        let p = Packer::with_payloads(r#"{"answer":"blue","n":[1,2]}"#, r#"{"z":1,"a":2.5}"#);
        let mut scratch = Scratch::default();
        let view = unpack(Packed { text: &p.text, nums: &p.nums }, &mut scratch).unwrap();
        let record = view.to_record();
        assert_eq!(record.input, Some(json!({"answer": "blue", "n": [1, 2]})), "a record holds the parsed value");
        assert_eq!(record.output, Some(json!({"a": 2.5, "z": 1})));
        let defaults = TraceDefaults { project: "p", environment: "e" };
        let wire = |t: &TraceView<'_>| String::from_utf8(encode_trace(t, defaults, &Default::default()).0).unwrap();
        let direct = wire(&view);
        assert_eq!(direct, wire(&TraceView::from(&record)));
        assert!(direct.contains(r#""output":"{\"a\":2.5,\"z\":1}""#), "{direct}");
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(unpack(Packed { text: &[], nums: &[] }, &mut Scratch::default()).unwrap_err().contains("too few numbers"));
        let mut p = Packer::default();
        p.num(ANCHOR).num(-1.0).common(0.0, 1.0, Some("nope"), "t");
        assert!(p.unpack().unwrap_err().contains("id \"nope\""));
        let mut p = Packer::default();
        p.num(ANCHOR).num(-1.0).num(0.0).num(1.0).num(f64::NAN).str(None).num(99.0);
        assert!(p.unpack().unwrap_err().contains("text shorter"));
        let mut p = Packer::default();
        p.num(ANCHOR).num(-1.0).num(0.0).num(1.0).num(f64::NAN).str(None).num(1e300);
        assert!(p.unpack().unwrap_err().contains("text shorter"), "a length past any text");
        let mut p = Packer::default();
        p.num(ANCHOR).num(-1.0).common(0.0, 1.0, None, "t").str(None).str(None).str(None).num(0.0).num(0.0).num(1e12);
        assert!(p.unpack().unwrap_err().contains("a count of 1000000000000 past the end"), "no huge allocation");
    }
}
