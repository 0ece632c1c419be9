//! Evidence files of the IPEI (Art. 12: copies of the BOs): what a file is, told by its content, never
//! by its name, and how large it may be.

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
        "{name}: o conteúdo não é PDF, JPEG nem PNG (parece {looks}); o tipo é conferido pelo conteúdo, não pelo nome"
    )]
    NotAccepted {
        /// File name as sent.
        name: String,
        /// What the content looks like, in words a unit head reads ("texto", "um programa
        /// executável"): the first bytes in hex said nothing to him.
        looks: &'static str,
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

/// What a refused file's content looks like, by its first bytes.
fn looks_like(bytes: &[u8]) -> &'static str {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "um arquivo compactado (ZIP, DOCX ou XLSX)"),
        (
            b"\xD0\xCF\x11\xE0",
            "um documento antigo do Office (DOC ou XLS)",
        ),
        (b"MZ", "um programa executável"),
        (b"\x7FELF", "um programa executável"),
        (b"GIF8", "uma imagem GIF"),
        (b"II*\x00", "uma imagem TIFF"),
        (b"MM\x00*", "uma imagem TIFF"),
        (b"RIFF", "um arquivo de mídia (WEBP, WAV ou AVI)"),
        (b"{\\rtf", "um documento RTF"),
    ];
    if let Some((_, what)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return what;
    }
    // Text: valid UTF-8 (a character cut at the end of the sample aside), no control characters
    // but tabs and line breaks.
    let head = &bytes[..bytes.len().min(512)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return "um formato desconhecido",
    };
    if !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        "texto"
    } else {
        "um formato desconhecido"
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
        looks: looks_like(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused file is described by what it looks like, never by bytes in hex.
    #[test]
    fn a_refused_file_says_what_it_looks_like() {
        assert_eq!(looks_like("isto não é um PDF".as_bytes()), "texto");
        // A sample that cuts a character in two is still text.
        assert_eq!(looks_like(&"é".repeat(300).as_bytes()[..511]), "texto");
        assert_eq!(
            looks_like(b"PK\x03\x04\x14\x00"),
            "um arquivo compactado (ZIP, DOCX ou XLSX)"
        );
        assert_eq!(
            looks_like(&[0x00, 0x01, 0xFE, 0x80]),
            "um formato desconhecido"
        );
        assert_eq!(looks_like(b"GIF89a"), "uma imagem GIF");
    }

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
            "bo.pdf: o conteúdo não é PDF, JPEG nem PNG (parece um programa executável); o tipo é conferido pelo conteúdo, não pelo nome"
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
