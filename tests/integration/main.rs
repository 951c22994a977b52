//! The one integration-test binary: golden fixtures and CLI behaviour.

mod cli;
mod formats;
mod golden;
mod learn;
mod quality;
mod util;
