//! Integration tests of atalaia-core against real data (one test binary for the crate).

mod calendar_oracle;
mod ibge;
