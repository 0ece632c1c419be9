//! Text as searches and header matching compare it.

/// Lower case without the accents of Portuguese ("Otávio" → "otavio", "Município" → "municipio").
pub fn folded(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' => 'a',
            'é' | 'ê' => 'e',
            'í' => 'i',
            'ó' | 'ô' | 'õ' => 'o',
            'ú' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn accents_and_case_go() {
        assert_eq!(
            super::folded("Otávio CONCEIÇÃO Município"),
            "otavio conceicao municipio"
        );
    }
}
