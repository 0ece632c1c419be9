//! atalaia-web
