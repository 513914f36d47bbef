//! The pickle machine: CPython's unpickler, restricted to what a carbon frame can hold, in fixed memory.
//!
//! A full unpickler builds arbitrary object graphs. Carbon only ever looks at a list of
//! `(path, (timestamp, value))` tuples, then calls `float()` on the timestamp and value and needs a string
//! path. So every value on the stack or in the memo is summarised, when it is built, by exactly what those
//! steps will see: a string (its place in the input, and `float()` of it), a number (`float()` of it), a
//! 2-tuple (what unpacking it as a pair or as a datapoint gives), any other tuple, or the list. That summary
//! is 32 bytes whatever is nested inside, so the memo and the stack share one caller-given slice of
//! [`Slot`]s: the memo grows from the front, the stack from the back.
//!
//! Elements are handed out when they are appended to the list (`APPEND`, `APPENDS`, `LIST`), so the list
//! itself is never stored. Each opcode does constant work apart from reading its argument once.

use super::error::{Refusal, SkipReason, Unsupported};
use super::number::{self, Conv, Int, NumError};
use super::ops::{Arg, Op, Ops};
use super::text::{Text, TextError, TextKind};
use super::{DecodeError, ErrorKind};

/// Deepest nesting of marks kept (CPython frames use 3).
pub const MAX_MARKS: usize = 64;

/// Conversion outcome, packed next to its float.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Tag {
    Num,
    ValueError,
    TypeError,
    Overflow,
    Unsupported,
}

fn pack(c: Conv) -> (Tag, f64) {
    match c {
        Conv::Num(f) => (Tag::Num, f),
        Conv::ValueError => (Tag::ValueError, 0.0),
        Conv::TypeError => (Tag::TypeError, 0.0),
        Conv::Overflow => (Tag::Overflow, 0.0),
        Conv::Unsupported => (Tag::Unsupported, 0.0),
    }
}

fn unpack(t: Tag, f: f64) -> Conv {
    match t {
        Tag::Num => Conv::Num(f),
        Tag::ValueError => Conv::ValueError,
        Tag::TypeError => Conv::TypeError,
        Tag::Overflow => Conv::Overflow,
        Tag::Unsupported => Conv::Unsupported,
    }
}

/// What a datapoint's path is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PathTag {
    Str(TextKind),
    NotStr,
    /// An integer too large for a float (only matters when used as a number).
    Overflow,
}

/// A summarised value.
#[derive(Clone, Copy, Debug)]
enum Value {
    Empty,
    Str {
        start: u32,
        len: u32,
        kind: TextKind,
        tag: Tag,
        f: f64,
        two_chars: bool,
    },
    Scalar {
        tag: Tag,
        f: f64,
    },
    /// A 2-tuple whose second item is not a tuple.
    Pair {
        a_tag: Tag,
        a: f64,
        b_tag: Tag,
        b: f64,
        b_two_chars: bool,
    },
    /// A 2-tuple whose second item is a 2-tuple: unpacks as `(path, (timestamp, value))`.
    Point {
        start: u32,
        len: u32,
        path: PathTag,
        ts_tag: Tag,
        ts: f64,
        val_tag: Tag,
        val: f64,
    },
    /// A 2-tuple whose second item is a tuple of another length.
    Tuple2 {
        first_overflows: bool,
    },
    /// A tuple of length other than 2.
    Tuple,
    /// The list.
    List,
}

/// One cell of the decoder's workspace: a memo entry or a stack item (32 bytes).
///
/// ```
/// use carbon_pickle::decode::Slot;
/// let mut slots = [Slot::EMPTY; 64];
/// # let _ = &mut slots;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Slot(Value);

impl Slot {
    /// An unused slot.
    pub const EMPTY: Slot = Slot(Value::Empty);
}

impl Default for Slot {
    fn default() -> Self {
        Slot::EMPTY
    }
}

impl Value {
    fn conv(&self) -> Conv {
        match *self {
            Value::Str { tag, f, .. } | Value::Scalar { tag, f } => unpack(tag, f),
            _ => Conv::TypeError,
        }
    }

    fn overflows(&self) -> bool {
        self.conv() == Conv::Overflow
    }
}

/// What an element of the list turned out to be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Element {
    /// A datapoint; its path is where `text` finds it.
    Point {
        path: (u32, u32, TextKind),
        timestamp: f64,
        value: f64,
    },
    Skip(SkipReason),
}

/// A step's result.
pub(crate) enum Event {
    /// An element appended to the list: its index and the appending opcode's offset.
    Element(Element, usize, usize),
    /// `STOP` reached with the list on top.
    Stop,
}

#[derive(Clone, Copy)]
struct Pending {
    next: usize,
    end: usize,
    truncate_to: usize,
    push_list: bool,
    offset: usize,
    code: u8,
}

/// The running machine over one pickle.
pub(crate) struct Machine<'a, 'w> {
    input: &'a [u8],
    ops: Ops<'a>,
    slots: &'w mut [Slot],
    depth: usize,
    memo_hi: usize,
    memo_len: usize,
    marks: [u32; MAX_MARKS],
    nmarks: usize,
    has_list: bool,
    pending: Option<Pending>,
    index: usize,
    done: bool,
    /// End of the current protocol-4 frame, while reading inside one.
    frame_end: Option<usize>,
}

type R<T> = Result<T, DecodeError>;

/// A machine between two steps, without its borrows: the inspector lists a frame's elements a line at a
/// time, returning to its caller between lines, and lends the same payload and workspace again for each.
#[derive(Clone, Copy)]
pub(crate) struct Paused {
    pos: usize,
    failed: bool,
    depth: usize,
    memo_hi: usize,
    memo_len: usize,
    marks: [u32; MAX_MARKS],
    nmarks: usize,
    has_list: bool,
    pending: Option<Pending>,
    index: usize,
    done: bool,
    frame_end: Option<usize>,
}

impl<'a, 'w> Machine<'a, 'w> {
    /// `dirty` is how many memo slots a previous run may have left set; they are cleared here.
    pub(crate) fn new(input: &'a [u8], slots: &'w mut [Slot], dirty: usize) -> Self {
        let n = dirty.min(slots.len());
        for s in &mut slots[..n] {
            *s = Slot::EMPTY;
        }
        Machine {
            input,
            ops: Ops::new(input),
            slots,
            depth: 0,
            memo_hi: 0,
            memo_len: 0,
            marks: [0; MAX_MARKS],
            nmarks: 0,
            has_list: false,
            pending: None,
            index: 0,
            done: false,
            frame_end: None,
        }
    }

    /// The machine's state, to [`resume`](Self::resume) it later over the same input and workspace.
    pub(crate) fn pause(&self) -> Paused {
        Paused {
            pos: self.ops.position(),
            failed: self.ops.failed(),
            depth: self.depth,
            memo_hi: self.memo_hi,
            memo_len: self.memo_len,
            marks: self.marks,
            nmarks: self.nmarks,
            has_list: self.has_list,
            pending: self.pending,
            index: self.index,
            done: self.done,
            frame_end: self.frame_end,
        }
    }

    /// A paused machine running again: `input` and `slots` must be what it ran over, untouched since.
    pub(crate) fn resume(input: &'a [u8], slots: &'w mut [Slot], p: Paused) -> Self {
        Machine {
            input,
            ops: Ops::resume(input, p.pos, p.failed),
            slots,
            depth: p.depth,
            memo_hi: p.memo_hi,
            memo_len: p.memo_len,
            marks: p.marks,
            nmarks: p.nmarks,
            has_list: p.has_list,
            pending: p.pending,
            index: p.index,
            done: p.done,
            frame_end: p.frame_end,
        }
    }

    /// Memo slots this run has set (what the next run must clear).
    pub(crate) fn memo_hi(&self) -> usize {
        self.memo_hi
    }

    fn fence(&self) -> usize {
        if self.nmarks == 0 {
            0
        } else {
            self.marks[self.nmarks - 1] as usize
        }
    }

    fn full(&self, op: &Op<'_>, memo: usize, stack: usize) -> DecodeError {
        DecodeError::new(
            ErrorKind::WorkspaceFull {
                memo,
                stack,
                slots: self.slots.len(),
            },
            op.offset,
            Some(op.code),
        )
    }

    fn at(&self, j: usize) -> Value {
        // Stack item j (0 = bottom) lives at the back of the slots.
        self.slots[self.slots.len() - 1 - j].0
    }

    fn push(&mut self, op: &Op<'_>, v: Value) -> R<()> {
        if self.depth + 1 + self.memo_hi > self.slots.len() {
            return Err(self.full(op, self.memo_hi, self.depth + 1));
        }
        let i = self.slots.len() - 1 - self.depth;
        self.slots[i] = Slot(v);
        self.depth += 1;
        Ok(())
    }

    fn err(op: &Op<'_>, kind: ErrorKind) -> DecodeError {
        DecodeError::new(kind, op.offset, Some(op.code))
    }

    fn need(&self, op: &Op<'_>, n: usize) -> R<()> {
        if self.depth < self.fence() + n {
            Err(Self::err(op, ErrorKind::StackUnderflow))
        } else {
            Ok(())
        }
    }

    fn pop_mark(&mut self, op: &Op<'_>) -> R<usize> {
        if self.nmarks == 0 {
            return Err(Self::err(op, ErrorKind::NoMark));
        }
        self.nmarks -= 1;
        Ok(self.marks[self.nmarks] as usize)
    }

    fn memo_put(&mut self, op: &Op<'_>, idx: u64) -> R<()> {
        self.need(op, 1)?;
        let top = self.at(self.depth - 1);
        let room = self.slots.len() - self.depth;
        let i = match usize::try_from(idx) {
            Ok(i) if i < room => i,
            _ => {
                let memo = usize::try_from(idx).map_or(usize::MAX, |i| i.saturating_add(1));
                return Err(self.full(op, memo, self.depth));
            }
        };
        if matches!(self.slots[i].0, Value::Empty) || i >= self.memo_hi {
            self.memo_len += 1;
        }
        self.slots[i] = Slot(top);
        if i >= self.memo_hi {
            // Slots between the old high mark and i may hold stale stack values: clear them.
            for s in &mut self.slots[self.memo_hi..i] {
                *s = Slot::EMPTY;
            }
            self.memo_hi = i + 1;
        }
        Ok(())
    }

    fn memo_get(&mut self, op: &Op<'_>, idx: u64) -> R<()> {
        let v = match usize::try_from(idx) {
            Ok(i) if i < self.memo_hi => self.slots[i].0,
            _ => Value::Empty,
        };
        if matches!(v, Value::Empty) {
            return Err(Self::err(op, ErrorKind::MemoMissing { index: idx }));
        }
        self.push(op, v)
    }

    fn text_value(&self, op: &Op<'_>, raw: &'a [u8], r: Result<Text<'a>, TextError>) -> R<Value> {
        let t = r.map_err(|e| {
            Self::err(
                op,
                match e {
                    TextError::BadEscape(_) => ErrorKind::BadString,
                    TextError::InvalidUtf8(i) => {
                        if raw.get(i) == Some(&0xed)
                            && raw.get(i + 1).is_some_and(|b| (0xa0..=0xbf).contains(b))
                        {
                            ErrorKind::Unsupported(Unsupported::Surrogate)
                        } else {
                            ErrorKind::InvalidUtf8
                        }
                    }
                    TextError::BadUnicodeEscape(_) => ErrorKind::BadUnicodeEscape,
                    TextError::Surrogate(_) => ErrorKind::Unsupported(Unsupported::Surrogate),
                },
            )
        })?;
        let (raw, kind) = t.raw_parts();
        // `raw` is a sub-slice of the input: recover its offset.
        let start = raw.as_ptr() as usize - self.input.as_ptr() as usize;
        let (tag, f) = pack(number::float_of_text(&t));
        Ok(Value::Str {
            start: start as u32,
            len: raw.len() as u32,
            kind,
            tag,
            f,
            two_chars: t.count_chars(3) == 2,
        })
    }

    /// The text of a path element, in constant time (its UTF-8 was checked when it was read).
    pub(crate) fn text_of(&self, (start, len, kind): (u32, u32, TextKind)) -> Text<'a> {
        let s = start as usize;
        let raw = self.input.get(s..s + len as usize).unwrap_or(&[]);
        Text::from_parts(raw, kind)
    }

    fn num_err(op: &Op<'_>, e: NumError) -> DecodeError {
        Self::err(
            op,
            match e {
                NumError::Invalid => ErrorKind::BadNumber,
                NumError::Overflow => ErrorKind::FloatOverflow,
                NumError::TooManyDigits => ErrorKind::TooManyDigits,
                NumError::Unsupported => ErrorKind::Unsupported(Unsupported::NumberForm),
            },
        )
    }

    fn int_value(i: Int) -> Value {
        let (tag, f) = pack(i.conv());
        Value::Scalar { tag, f }
    }

    fn tuple2(op: &Op<'_>, x: Value, y: Value) -> R<Value> {
        let path = match x {
            Value::Str { kind, .. } => PathTag::Str(kind),
            _ if x.overflows() => PathTag::Overflow,
            _ => PathTag::NotStr,
        };
        let (start, len) = match x {
            Value::Str { start, len, .. } => (start, len),
            _ => (0, 0),
        };
        let point = |ts: Conv, val: Conv| {
            let (ts_tag, ts) = pack(ts);
            let (val_tag, val) = pack(val);
            Value::Point {
                start,
                len,
                path,
                ts_tag,
                ts,
                val_tag,
                val,
            }
        };
        let first_of_tuple = |overflows: bool| {
            if overflows {
                Conv::Overflow
            } else {
                Conv::TypeError
            }
        };
        Ok(match y {
            Value::List => {
                return Err(Self::err(
                    op,
                    ErrorKind::Unsupported(Unsupported::NestedList),
                ))
            }
            Value::Pair {
                a_tag, a, b_tag, b, ..
            } => point(unpack(a_tag, a), unpack(b_tag, b)),
            Value::Point { path: p, .. } => {
                point(first_of_tuple(p == PathTag::Overflow), Conv::TypeError)
            }
            Value::Tuple2 { first_overflows } => {
                point(first_of_tuple(first_overflows), Conv::TypeError)
            }
            Value::Tuple => Value::Tuple2 {
                first_overflows: x.overflows(),
            },
            Value::Str { .. } | Value::Scalar { .. } | Value::Empty => {
                let (a_tag, a) = pack(x.conv());
                let (b_tag, b) = pack(y.conv());
                Value::Pair {
                    a_tag,
                    a,
                    b_tag,
                    b,
                    b_two_chars: matches!(
                        y,
                        Value::Str {
                            two_chars: true,
                            ..
                        }
                    ),
                }
            }
        })
    }

    /// What carbon's receive loop makes of one element of the list.
    fn element(&self, v: Value, offset: usize, code: u8) -> R<Element> {
        let fail = |k| DecodeError::new(k, offset, Some(code));
        let num = |tag: Tag, f: f64, skip: SkipReason| -> R<Result<f64, SkipReason>> {
            match unpack(tag, f) {
                Conv::Num(f) => Ok(Ok(f)),
                Conv::ValueError | Conv::TypeError => Ok(Err(skip)),
                Conv::Overflow => Err(fail(ErrorKind::IntOverflow)),
                Conv::Unsupported => Err(fail(ErrorKind::Unsupported(Unsupported::NumberForm))),
            }
        };
        match v {
            Value::Point {
                start,
                len,
                path,
                ts_tag,
                ts,
                val_tag,
                val,
            } => {
                let timestamp = match num(ts_tag, ts, SkipReason::BadTimestamp)? {
                    Ok(f) => f,
                    Err(r) => return Ok(Element::Skip(r)),
                };
                let value = match num(val_tag, val, SkipReason::BadValue)? {
                    Ok(f) => f,
                    Err(r) => return Ok(Element::Skip(r)),
                };
                match path {
                    PathTag::Str(kind) => Ok(Element::Point {
                        path: (start, len, kind),
                        timestamp,
                        value,
                    }),
                    _ => Err(fail(ErrorKind::PathNotText)),
                }
            }
            Value::Pair {
                b_two_chars: true, ..
            } => Err(fail(ErrorKind::Unsupported(Unsupported::StringAsPair))),
            Value::List => Err(fail(ErrorKind::Unsupported(Unsupported::NestedList))),
            _ => Ok(Element::Skip(SkipReason::NotADatapoint)),
        }
    }

    /// Hands out the next pending element, if any.
    fn next_pending(&mut self) -> R<Option<Event>> {
        let Some(mut p) = self.pending else {
            return Ok(None);
        };
        if p.next < p.end {
            let v = self.at(p.next);
            p.next += 1;
            self.pending = Some(p);
            let e = self.element(v, p.offset, p.code)?;
            let index = self.index;
            self.index += 1;
            return Ok(Some(Event::Element(e, index, p.offset)));
        }
        self.pending = None;
        self.depth = p.truncate_to;
        if p.push_list {
            let op = Op {
                offset: p.offset,
                code: p.code,
                arg: Arg::None,
            };
            self.push(&op, Value::List)?;
        }
        Ok(None)
    }

    /// Runs until the next element or the end.
    pub(crate) fn step(&mut self) -> R<Option<Event>> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some(e) = self.next_pending()? {
                return Ok(Some(e));
            }
            let op = match self.ops.next() {
                Some(r) => r?,
                None => {
                    return Err(DecodeError::new(
                        ErrorKind::Truncated,
                        self.input.len(),
                        None,
                    ));
                }
            };
            if let Some(e) = self.frame_end {
                if op.offset >= e {
                    self.frame_end = None;
                } else if self.ops.position() > e {
                    return Err(Self::err(
                        &op,
                        ErrorKind::Unsupported(Unsupported::SplitFrame),
                    ));
                }
            }
            if self.exec(&op)? {
                self.done = true;
                return Ok(Some(Event::Stop));
            }
        }
    }

    /// Executes one opcode; true at `STOP`.
    fn exec(&mut self, op: &Op<'a>) -> R<bool> {
        let refuse = |r| Err(Self::err(op, ErrorKind::Refused(r)));
        match (op.code, op.arg) {
            (b'(', _) => {
                if self.nmarks == MAX_MARKS {
                    return Err(Self::err(op, ErrorKind::TooDeep { max: MAX_MARKS }));
                }
                self.marks[self.nmarks] = self.depth as u32;
                self.nmarks += 1;
            }
            (b'.', _) => {
                self.need(op, 1)?;
                if !matches!(self.at(self.depth - 1), Value::List) {
                    return Err(Self::err(op, ErrorKind::NotAList));
                }
                return Ok(true);
            }
            (b'0', _) => {
                if self.nmarks > 0 && self.marks[self.nmarks - 1] as usize == self.depth {
                    self.nmarks -= 1;
                } else {
                    self.need(op, 1)?;
                    self.depth -= 1;
                }
            }
            (b'1', _) => {
                self.depth = self.pop_mark(op)?;
            }
            (b'2', _) => {
                self.need(op, 1)?;
                let v = self.at(self.depth - 1);
                self.push(op, v)?;
            }
            (0x80, Arg::U8(p)) => {
                if p > 5 {
                    return Err(Self::err(op, ErrorKind::UnsupportedProtocol(p)));
                }
            }
            (0x95, Arg::U64(n)) => {
                let pos = self.ops.position();
                match self.frame_end {
                    // A frame inside the current one is a no-op for CPython, unless it reaches past it.
                    Some(e) if pos < e => {
                        if n > (e - pos) as u64 {
                            return Err(Self::err(
                                op,
                                ErrorKind::Unsupported(Unsupported::SplitFrame),
                            ));
                        }
                    }
                    _ => {
                        if n > self.ops.remaining() as u64 {
                            return Err(Self::err(op, ErrorKind::Truncated));
                        }
                        self.frame_end = Some(pos + n as usize);
                    }
                }
            }
            // Strings.
            (b'S', Arg::Line(line)) => {
                let body = &line[..line.len() - 1];
                let n = body.len();
                if n < 2 || body[0] != body[n - 1] || !matches!(body[0], b'\'' | b'"') {
                    return Err(Self::err(op, ErrorKind::BadString));
                }
                let inner = &body[1..n - 1];
                let v = self.text_value(op, inner, Text::escaped(inner))?;
                self.push(op, v)?;
            }
            (b'V', Arg::Line(line)) => {
                let body = &line[..line.len() - 1];
                let v = self.text_value(op, body, Text::raw_unicode(body))?;
                self.push(op, v)?;
            }
            (b'T' | b'U' | b'X' | 0x8c | 0x8d, Arg::Data(d)) => {
                let v = self.text_value(op, d, Text::utf8(d))?;
                self.push(op, v)?;
            }
            // Numbers.
            (b'I', Arg::Line(line)) => {
                if line.len() < 2 {
                    return Err(Self::err(op, ErrorKind::BadNumber));
                }
                let i = number::int_line(line).map_err(|e| Self::num_err(op, e))?;
                self.push(op, Self::int_value(i))?;
            }
            (b'L', Arg::Line(line)) => {
                if line.len() < 2 {
                    return Err(Self::err(op, ErrorKind::BadNumber));
                }
                let i = number::long_line(line).map_err(|e| Self::num_err(op, e))?;
                self.push(op, Self::int_value(i))?;
            }
            (b'F', Arg::Line(line)) => {
                let f = number::float_line(&line[..line.len() - 1])
                    .map_err(|e| Self::num_err(op, e))?;
                self.push(op, Value::Scalar { tag: Tag::Num, f })?;
            }
            (b'J', Arg::I32(v)) => self.push(op, Self::int_value(Int::Small(v.into())))?,
            (b'K', Arg::U8(v)) => self.push(op, Self::int_value(Int::Small(v.into())))?,
            (b'M', Arg::U16(v)) => self.push(op, Self::int_value(Int::Small(v.into())))?,
            (0x8a | 0x8b, Arg::Data(d)) => self.push(op, Self::int_value(number::long_bytes(d)))?,
            (b'G', Arg::F64(f)) => self.push(op, Value::Scalar { tag: Tag::Num, f })?,
            (b'N', _) => self.push(
                op,
                Value::Scalar {
                    tag: Tag::TypeError,
                    f: 0.0,
                },
            )?,
            (0x88, _) => self.push(
                op,
                Value::Scalar {
                    tag: Tag::Num,
                    f: 1.0,
                },
            )?,
            (0x89, _) => self.push(
                op,
                Value::Scalar {
                    tag: Tag::Num,
                    f: 0.0,
                },
            )?,
            // Tuples.
            (b')', _) => self.push(op, Value::Tuple)?,
            (0x85, _) => {
                self.need(op, 1)?;
                self.depth -= 1;
                self.push(op, Value::Tuple)?;
            }
            (0x86, _) => {
                self.need(op, 2)?;
                let v = Self::tuple2(op, self.at(self.depth - 2), self.at(self.depth - 1))?;
                self.depth -= 2;
                self.push(op, v)?;
            }
            (0x87, _) => {
                self.need(op, 3)?;
                self.depth -= 3;
                self.push(op, Value::Tuple)?;
            }
            (b't', _) => {
                let x = self.pop_mark(op)?;
                let v = if self.depth - x == 2 {
                    Self::tuple2(op, self.at(x), self.at(x + 1))?
                } else {
                    Value::Tuple
                };
                self.depth = x;
                self.push(op, v)?;
            }
            // The list.
            (b']', _) => {
                if self.has_list {
                    return Err(Self::err(
                        op,
                        ErrorKind::Unsupported(Unsupported::NestedList),
                    ));
                }
                self.has_list = true;
                self.push(op, Value::List)?;
            }
            (b'l', _) => {
                let x = self.pop_mark(op)?;
                if self.has_list {
                    return Err(Self::err(
                        op,
                        ErrorKind::Unsupported(Unsupported::NestedList),
                    ));
                }
                self.has_list = true;
                self.pending = Some(Pending {
                    next: x,
                    end: self.depth,
                    truncate_to: x,
                    push_list: true,
                    offset: op.offset,
                    code: op.code,
                });
            }
            (b'a', _) => {
                self.need(op, 2)?;
                if !matches!(self.at(self.depth - 2), Value::List) {
                    return Err(Self::err(op, ErrorKind::NotAppendable));
                }
                self.pending = Some(Pending {
                    next: self.depth - 1,
                    end: self.depth,
                    truncate_to: self.depth - 1,
                    push_list: false,
                    offset: op.offset,
                    code: op.code,
                });
            }
            (b'e', _) => {
                let x = self.pop_mark(op)?;
                if x <= self.fence() {
                    return Err(Self::err(op, ErrorKind::StackUnderflow));
                }
                if x < self.depth {
                    if !matches!(self.at(x - 1), Value::List) {
                        return Err(Self::err(op, ErrorKind::NotAppendable));
                    }
                    self.pending = Some(Pending {
                        next: x,
                        end: self.depth,
                        truncate_to: x,
                        push_list: false,
                        offset: op.offset,
                        code: op.code,
                    });
                }
            }
            // The memo.
            (b'p', Arg::Line(line)) => {
                self.need(op, 1)?;
                let idx = match number::index_line(line).map_err(|e| Self::num_err(op, e))? {
                    Int::Small(i) if i < 0 => {
                        return Err(Self::err(op, ErrorKind::NegativeMemoIndex))
                    }
                    Int::Small(i) => i as u64,
                    Int::Big(_) => u64::MAX,
                };
                self.memo_put(op, idx)?;
            }
            (b'q', Arg::U8(i)) => self.memo_put(op, i.into())?,
            (b'r', Arg::U32(i)) => self.memo_put(op, i.into())?,
            (0x94, _) => self.memo_put(op, self.memo_len as u64)?,
            (b'g', Arg::Line(line)) => {
                let idx = match number::index_line(line).map_err(|e| Self::num_err(op, e))? {
                    Int::Small(i) if i >= 0 => i as u64,
                    _ => u64::MAX,
                };
                self.memo_get(op, idx)?;
            }
            (b'h', Arg::U8(i)) => self.memo_get(op, i.into())?,
            (b'j', Arg::U32(i)) => self.memo_get(op, i.into())?,
            // What carbon refuses.
            (b'c' | 0x93 | b'i', _) => return refuse(Refusal::Global),
            (b'R' | b'b' | b'o' | 0x81 | 0x92, _) => return refuse(Refusal::Object),
            (b'P' | b'Q', _) => return refuse(Refusal::PersistentId),
            (0x82..=0x84, _) => return refuse(Refusal::Extension),
            (b'B' | b'C' | 0x8e | 0x96, _) => return refuse(Refusal::Bytes),
            (0x97 | 0x98, _) => return refuse(Refusal::OutOfBand),
            (b'd' | b'}' | b's' | b'u' | 0x8f | 0x90 | 0x91, _) => {
                return Err(Self::err(
                    op,
                    ErrorKind::Unsupported(Unsupported::DictOrSet),
                ))
            }
            _ => return Err(Self::err(op, ErrorKind::UnknownOpcode)),
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_is_32_bytes() {
        assert!(
            core::mem::size_of::<Slot>() <= 32,
            "{}",
            core::mem::size_of::<Slot>()
        );
    }
}
