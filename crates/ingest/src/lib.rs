//! atalaia-ingest
