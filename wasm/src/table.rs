//! Paths kept in wasm memory, each checked once: a `MetricSet`'s registered paths and the paths
//! `encodeFrames` remembers ([`recent`](crate::recent)). Pushing one of them costs only the core's
//! `push_checked` (the timestamp and value checks and the writer), not the path check again.
//!
//! A checked path borrows its text, so the text may never move while the check is kept. The table holds its
//! paths in blocks, each a text that never changes once made and the checked paths borrowing it
//! (`self_cell`, no `unsafe`): a `MetricSet` is one block, `encodeFrames` adds one block per batch that
//! remembers new paths. Path numbers run on across blocks, in the order the paths were added.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::{CheckedPath, PathError, PathRules};
use self_cell::self_cell;

/// Checked paths borrowing a block's text.
type Checked<'a> = Vec<CheckedPath<'a>>;

self_cell!(
    /// Paths back to back and each one's check.
    pub(crate) struct Block {
        owner: String,
        #[covariant]
        dependent: Checked,
    }
    impl {Debug}
);

impl Block {
    /// The paths of `text` that end at `ends` (byte offsets, in order), checked under `rules` in order up to
    /// the first refused one: the block holds the paths before it, and the refusal (the path's number in
    /// `ends` and why) is returned beside it.
    pub fn check(
        text: String,
        ends: &[usize],
        rules: PathRules,
    ) -> (Block, Option<(usize, PathError)>) {
        let mut refused = None;
        let block = Block::new(text, |text| {
            let mut checked = Vec::with_capacity(ends.len());
            let mut start = 0;
            for (k, &end) in ends.iter().enumerate() {
                match CheckedPath::new(text.get(start..end).unwrap_or_default(), rules) {
                    Ok(path) => checked.push(path),
                    Err(e) => {
                        refused = Some((k, e));
                        break;
                    }
                }
                start = end;
            }
            checked
        });
        (block, refused)
    }

    /// The checked paths.
    pub fn paths(&self) -> &[CheckedPath<'_>] {
        self.borrow_dependent()
    }
}

/// Checked paths numbered from 0, in blocks.
#[derive(Debug, Default)]
pub(crate) struct Table {
    blocks: Vec<Block>,
    /// Path number to (block, index in block), kept once there is more than one block.
    at: Vec<(u32, u32)>,
}

impl Table {
    /// Path number `k`.
    #[inline]
    pub fn get(&self, k: usize) -> Option<CheckedPath<'_>> {
        match self.blocks.as_slice() {
            [one] => one.paths().get(k).copied(),
            many => {
                let &(b, j) = self.at.get(k)?;
                many.get(b as usize)?.paths().get(j as usize).copied()
            }
        }
    }

    /// Paths held.
    pub fn len(&self) -> usize {
        match self.blocks.as_slice() {
            [one] => one.paths().len(),
            _ => self.at.len(),
        }
    }

    /// Numbers the block's paths next.
    pub fn add(&mut self, block: Block) {
        self.blocks.push(block);
        // Once there are two blocks, every path is numbered in `at` (the first block's too, then).
        let from = match self.blocks.len() {
            1 => return,
            2 => 0,
            n => n - 1,
        };
        for (b, block) in self.blocks.iter().enumerate().skip(from) {
            let n = block.paths().len() as u32;
            self.at.extend((0..n).map(|j| (b as u32, j)));
        }
    }

    /// Forgets every path.
    pub fn clear(&mut self) {
        self.blocks.clear();
        self.at.clear();
    }
}
