//! Text as searches, header matching and people's lists compare it.

use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed, CollatorPreferences};
use std::cmp::Ordering;
use std::sync::LazyLock;

/// CLDR's collation for pt-BR with numeric ordering (`-u-kn`): accents second to letters ("Água Limpa"
/// among the A's), case last, digit runs by value ("AIS 8" before "AIS 10").
static PT_BR: LazyLock<CollatorBorrowed<'static>> = LazyLock::new(|| {
    let locale = icu_locale_core::locale!("pt-BR-u-kn");
    // Compiled into the binary: it cannot be missing at run time.
    Collator::try_new(
        CollatorPreferences::from(&locale),
        CollatorOptions::default(),
    )
    .expect("pt-BR collation data is compiled in")
});

/// `a` against `b` in the order of a Brazilian list.
pub fn compare_pt(a: &str, b: &str) -> Ordering {
    PT_BR.compare(a, b)
}

/// Sorts `items` by the text `key` gives, in the order of a Brazilian list (stable).
pub fn sort_pt<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| compare_pt(key(a), key(b)));
}

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
    fn lists_sort_as_in_a_brazilian_index() {
        let mut names = vec![
            "Zé Doca",
            "Água Limpa",
            "Anicuns",
            "Anápolis",
            "AIS 10",
            "AIS 8",
            "aparecida",
            "Abadia",
            "AISP 2",
        ];
        super::sort_pt(&mut names, |s| s);
        assert_eq!(
            names,
            [
                "Abadia",
                "Água Limpa",
                "AIS 8",
                "AIS 10",
                "AISP 2",
                "Anápolis",
                "Anicuns",
                "aparecida",
                "Zé Doca"
            ]
        );
    }

    #[test]
    fn accents_and_case_go() {
        assert_eq!(
            super::folded("Otávio CONCEIÇÃO Município"),
            "otavio conceicao municipio"
        );
    }
}
