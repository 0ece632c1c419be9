//! Integration tests of atalaia-reports (one test binary for the crate).

mod fixture;
mod format;
mod ipei;
mod pdf;
mod robust;
mod xlsx;
