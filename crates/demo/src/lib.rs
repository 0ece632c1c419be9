//! atalaia-demo
