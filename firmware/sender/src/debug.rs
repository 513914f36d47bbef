//! `Debug` for the senders, from what they show through their public accessors (the counters, the link
//! state, the queue bound), kept here so the senders' own modules stay about sending.

use core::fmt;

use embedded_nal::TcpClientStack;

use crate::Sender;

impl<S: TcpClientStack, P: AsRef<str>, const N: usize> fmt::Debug for Sender<'_, S, P, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("link", &self.link_state())
            .field("capacity", &self.capacity())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "async")]
impl<M: embassy_sync::blocking_mutex::raw::RawMutex, P: AsRef<str>, const N: usize> fmt::Debug
    for crate::AsyncSender<'_, M, P, N>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSender")
            .field("link", &self.link_state())
            .field("capacity", &self.capacity())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
