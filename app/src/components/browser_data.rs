//! Data loaded in the browser only.
#[cfg(feature = "hydrate")]
use leptos::prelude::*;
use std::future::Future;

/// Like Leptos's `LocalResource`: loaded in the browser after hydration, never rendered on the
/// server. On the server it is simply absent (`get` is `None`): a `LocalResource` there is a
/// task that waits forever, so every render that read one left a task and its memory behind
/// (issue 21: three tasks per signed-in page view through the notification bell; BENCHMARKS.md).
pub struct BrowserData<T: 'static> {
    #[cfg(feature = "hydrate")]
    inner: LocalResource<T>,
    #[cfg(not(feature = "hydrate"))]
    inner: std::marker::PhantomData<fn() -> T>,
}

impl<T: 'static> Clone for BrowserData<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for BrowserData<T> {}

impl<T: Clone + 'static> BrowserData<T> {
    /// Loads with `fetcher` in the browser, again whenever a signal it reads changes.
    pub fn new<Fut: Future<Output = T> + 'static>(fetcher: impl Fn() -> Fut + 'static) -> Self {
        #[cfg(feature = "hydrate")]
        return Self { inner: LocalResource::new(fetcher) };
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = fetcher;
            Self { inner: std::marker::PhantomData }
        }
    }

    /// The loaded value (tracked), `None` while loading and always on the server.
    pub fn get(&self) -> Option<T> {
        #[cfg(feature = "hydrate")]
        return self.inner.get();
        #[cfg(not(feature = "hydrate"))]
        None
    }

    /// Loads again (in the browser).
    pub fn refetch(&self) {
        #[cfg(feature = "hydrate")]
        self.inner.refetch();
    }
}
