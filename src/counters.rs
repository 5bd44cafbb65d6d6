//! What the server is doing right now: open connections and requests in flight. The health
//! endpoint reports them, so that a test can check that nothing was left behind.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Counters {
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

/// One unit of a counter, given back when dropped.
#[derive(Debug)]
pub struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Counters {
    pub fn connection(&self) -> Held {
        hold(&self.connections)
    }

    pub fn request(&self) -> Held {
        hold(&self.requests)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

fn hold(counter: &Arc<AtomicUsize>) -> Held {
    counter.fetch_add(1, Ordering::Relaxed);
    Held(Arc::clone(counter))
}
