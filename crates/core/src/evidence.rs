//! Evidence files of the IPEI (Art. 12: copies of the BOs): what a file is, told by its content, never
//! by its name, and how large it may be.

use std::fmt;

/// The kinds of evidence file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceType {
    /// PDF (`%PDF-`).
    Pdf,
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
}

impl EvidenceType {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            EvidenceType::Pdf => "application/pdf",
            EvidenceType::Jpeg => "image/jpeg",
            EvidenceType::Png => "image/png",
        }
    }

    /// The type of a stored MIME string.
    pub fn from_mime(s: &str) -> Option<EvidenceType> {
        [EvidenceType::Pdf, EvidenceType::Jpeg, EvidenceType::Png]
            .into_iter()
            .find(|t| t.mime() == s)
    }
}

/// The default size limit of one evidence file (10 MiB: a scanned BO of a few pages).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Why a file is refused (pt-BR, naming the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("{name}: arquivo vazio; esperado a cópia do BO em PDF, JPEG ou PNG")]
    Empty {
        /// File name as sent.
        name: String,
    },
    /// Over the limit.
    #[error("{name}: {size} bytes, acima do limite de {max} bytes por arquivo")]
    TooLarge {
        /// File name as sent.
        name: String,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not one of the accepted types, whatever its name says.
    #[error(
        "{name}: o conteúdo não é PDF, JPEG nem PNG (começa com {start}); o tipo é conferido pelo conteúdo, não pelo nome"
    )]
    NotAccepted {
        /// File name as sent.
        name: String,
        /// The first bytes, in hex.
        start: String,
    },
}

/// The type of `bytes` by its first bytes, if accepted.
pub fn sniff(bytes: &[u8]) -> Option<EvidenceType> {
    if bytes.starts_with(b"%PDF-") {
        Some(EvidenceType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(EvidenceType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(EvidenceType::Png)
    } else {
        None
    }
}

struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// Accepts a file as evidence: not empty, within `max` bytes, PDF/JPEG/PNG by content.
pub fn check(name: &str, bytes: &[u8], max: usize) -> Result<EvidenceType, EvidenceError> {
    let name = name.to_string();
    if bytes.is_empty() {
        return Err(EvidenceError::Empty { name });
    }
    if bytes.len() > max {
        return Err(EvidenceError::TooLarge {
            name,
            size: bytes.len(),
            max,
        });
    }
    sniff(bytes).ok_or_else(|| EvidenceError::NotAccepted {
        name,
        start: Hex(&bytes[..bytes.len().min(8)]).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(
            check("bo.pdf", b"%PDF-1.7\n...", 100),
            Ok(EvidenceType::Pdf)
        );
        assert_eq!(
            check("foto.pdf", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], 100),
            Ok(EvidenceType::Jpeg)
        );
        assert_eq!(
            check(
                "x",
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0],
                100
            ),
            Ok(EvidenceType::Png)
        );
        assert_eq!(
            check("bo.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04", 100)
                .unwrap_err()
                .to_string(),
            "bo.pdf: o conteúdo não é PDF, JPEG nem PNG (começa com 4D 5A 90 00 03 00 00 00); o tipo é conferido pelo conteúdo, não pelo nome"
        );
        assert_eq!(
            check("bo.pdf", b"", 100).unwrap_err(),
            EvidenceError::Empty {
                name: "bo.pdf".into()
            }
        );
        assert_eq!(
            check("bo.pdf", &[b'%'; 101], 100).unwrap_err().to_string(),
            "bo.pdf: 101 bytes, acima do limite de 100 bytes por arquivo"
        );
        assert_eq!(
            check("p", b"%PDF", 100).ok(),
            None,
            "a truncated magic is not a PDF"
        );
        assert_eq!(
            EvidenceType::from_mime("image/png"),
            Some(EvidenceType::Png)
        );
        assert_eq!(EvidenceType::from_mime("text/html"), None);
    }
}
