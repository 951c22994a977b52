//! The one integration-test binary: golden fixtures and CLI behaviour.

mod badinput;
mod cli;
mod formats;
mod golden;
mod learn;
mod properties;
mod quality;
mod util;
