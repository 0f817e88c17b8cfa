//! The language a browser asks for: the first of Japanese and English in its Accept-Language,
//! by preference.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use crate::lang::Lang;

/// Japanese or English as `headers`' Accept-Language prefers, `None` when it names neither.
pub(super) fn accepted(headers: &HeaderMap) -> Option<Lang> {
    let value = headers.get(ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(f32, Lang)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or_default();
        let Ok(lang) = primary.parse::<Lang>() else {
            continue;
        };
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // The first of equal qualities wins, as the header lists them by preference.
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn of(value: &'static str) -> Option<Lang> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static(value));
        accepted(&headers)
    }

    #[test]
    fn the_preferred_of_japanese_and_english_is_taken() {
        assert_eq!(of("ja-JP,ja;q=0.9,en-US;q=0.8"), Some(Lang::Ja));
        assert_eq!(of("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(of("fr-FR,fr;q=0.9,en;q=0.5,ja;q=0.7"), Some(Lang::Ja));
        assert_eq!(of("de,ja;q=0"), None);
        assert_eq!(of("de"), None);
        assert_eq!(accepted(&HeaderMap::new()), None);
    }
}
