//! Paths an encoder has seen lately, so that a batch may name a repeated path by number (issue 22).
//!
//! `encodeFrames` with rows read each datapoint's path in JavaScript, joined and encoded it to UTF-8 and
//! copied it into wasm memory: about 75 ns of the 92 a datapoint cost, where the core needs about 15. Real
//! senders repeat their paths at every interval, so the JavaScript side remembers the paths it has sent to an
//! encoder (a `Map` from path to number) and sends a known path as its number only, as `MetricSet` does
//! with the paths it was made with, without being asked to.
//!
//! In the batch's lengths buffer an entry is a path's length in UTF-16 code units, or
//! - [`RECENT`] | `k`: the path numbered `k`, no text;
//! - [`REMEMBER`] | length: a path in the text, to be numbered next.
//!
//! Both sides number paths in the order they are first sent, so the numbers agree. The JavaScript side caps
//! what it asks to remember at 4,096 paths and 65,536 UTF-16 code units of text (`RECENT_PATHS`,
//! `RECENT_UNITS` in `js/api.mjs`): it stops asking when either is reached, and forgets everything (both
//! sides, [`Recent::forget`]) before the next batch; both sides forget after any refused batch too, so the
//! numbering can never drift. So this table holds at most 196,608 bytes of text (3 UTF-8 bytes per code
//! unit at worst) and 16 KiB of ends. A path is checked on every push as a one-off path is: only its
//! crossing is saved.

use alloc::string::String;
use alloc::vec::Vec;

use crate::failure::{Failure, InputFault};
use crate::input::next_path;

/// Flag of a lengths entry naming a remembered path by its number.
pub(crate) const RECENT: u32 = 1 << 31;
/// Flag of a lengths entry whose path (in the text) is to be remembered.
pub(crate) const REMEMBER: u32 = 1 << 30;

/// The remembered paths, back to back.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    text: String,
    ends: Vec<u32>,
}

impl Recent {
    /// Forgets every path.
    pub fn forget(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Paths remembered.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, k: usize, i: usize) -> Result<&str, Failure> {
        let end =
            *self
                .ends
                .get(k)
                .ok_or(Failure::bad_input(Some(i), InputFault::UnknownIndex, k, 0))?
                as usize;
        let start = match k {
            0 => 0,
            _ => self.ends[k - 1] as usize,
        };
        Ok(self.text.get(start..end).unwrap_or_default())
    }

    /// Numbers `path` next (the JavaScript side keeps within the caps).
    fn remember(&mut self, path: &str) {
        self.text.push_str(path);
        self.ends.push(self.text.len() as u32);
    }

    /// Calls `push(i, path)` for each datapoint of a batch whose `lens` may name remembered paths, the
    /// others taken in turn from `text`; stops at the first failure.
    pub fn each(
        &mut self,
        text: &str,
        lens: &[u32],
        push: &mut dyn FnMut(usize, &str) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let ascii = text.is_ascii();
        let mut at = 0usize;
        for (i, &entry) in lens.iter().enumerate() {
            if entry & RECENT != 0 {
                push(i, self.get((entry & !RECENT) as usize, i)?)?;
            } else {
                let path = next_path(text, ascii, &mut at, entry & !REMEMBER, i)?;
                push(i, path)?;
                if entry & REMEMBER != 0 {
                    self.remember(path);
                }
            }
        }
        if at != text.len() {
            return Err(Failure::bad_input(
                None,
                InputFault::LengthsMismatch,
                at,
                text.len(),
            ));
        }
        Ok(())
    }
}
