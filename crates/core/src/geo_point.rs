//! A validated WGS84 coordinate (latitude, longitude in decimal degrees), as read from occurrence files.

use std::fmt;

/// Why a coordinate pair was rejected.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum GeoPointError {
    /// Latitude or longitude is NaN or infinite.
    #[error("coordenada não numérica: esperados números finitos em graus decimais")]
    NotFinite,
    /// Latitude outside [-90, 90].
    #[error("latitude {lat} fora do intervalo: esperado de -90 a 90 graus")]
    LatitudeOutOfRange {
        /// The latitude given.
        lat: f64,
    },
    /// Longitude outside [-180, 180].
    #[error("longitude {lon} fora do intervalo: esperado de -180 a 180 graus")]
    LongitudeOutOfRange {
        /// The longitude given.
        lon: f64,
    },
    /// Exactly (0, 0), "null island": what a failed geocoder writes, never a real occurrence here.
    #[error("coordenada (0, 0) inválida: provável falha de geocodificação")]
    NullIsland,
}

/// A WGS84 point: latitude in [-90, 90], longitude in [-180, 180], both finite, and not exactly (0, 0).
///
/// Serialised as `{"lat": …, "lon": …}`; deserialising applies the same checks.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawWgs84")]
pub struct Wgs84 {
    lat: f64,
    lon: f64,
}

/// The unchecked shape of a [`Wgs84`] in serialised form.
#[derive(serde::Deserialize)]
struct RawWgs84 {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawWgs84> for Wgs84 {
    type Error = GeoPointError;

    fn try_from(raw: RawWgs84) -> Result<Self, Self::Error> {
        Wgs84::new(raw.lat, raw.lon)
    }
}

impl Wgs84 {
    /// A point from latitude and longitude in decimal degrees (note the order: latitude first).
    ///
    /// Rejects non-finite values, out-of-range values and the exact point (0, 0) — "null island", the
    /// classic signature of a geocoding failure. Swapped columns are caught only when the "latitude" is
    /// beyond ±90.
    ///
    /// ```
    /// use atalaia_core::{GeoPointError, Wgs84};
    ///
    /// let p = Wgs84::new(-16.6869, -49.2648)?;
    /// assert_eq!((p.lat(), p.lon()), (-16.6869, -49.2648));
    /// assert_eq!(Wgs84::new(0.0, 0.0), Err(GeoPointError::NullIsland));
    /// # Ok::<(), GeoPointError>(())
    /// ```
    pub fn new(lat: f64, lon: f64) -> Result<Wgs84, GeoPointError> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(GeoPointError::NotFinite);
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GeoPointError::LatitudeOutOfRange { lat });
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(GeoPointError::LongitudeOutOfRange { lon });
        }
        if lat == 0.0 && lon == 0.0 {
            return Err(GeoPointError::NullIsland);
        }
        // `+ 0.0` turns a negative zero into a positive one, so equal points compare and print alike.
        Ok(Wgs84 {
            lat: lat + 0.0,
            lon: lon + 0.0,
        })
    }

    /// Latitude in decimal degrees (south negative).
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in decimal degrees (west negative).
    pub fn lon(self) -> f64 {
        self.lon
    }
}

impl fmt::Display for Wgs84 {
    /// `lat, lon` in decimal degrees, e.g. `-16.6869, -49.2648`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.lat, self.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_points() {
        let goiania = Wgs84::new(-16.6869, -49.2648).unwrap();
        assert_eq!((goiania.lat(), goiania.lon()), (-16.6869, -49.2648));
        assert_eq!(goiania.to_string(), "-16.6869, -49.2648");
        assert!(Wgs84::new(90.0, 180.0).is_ok());
        assert!(Wgs84::new(-90.0, -180.0).is_ok());
        assert!(Wgs84::new(0.0, -49.0).is_ok());
        assert!(Wgs84::new(-16.0, 0.0).is_ok());
    }

    #[test]
    fn rejects_bad_points() {
        use GeoPointError::*;
        assert_eq!(Wgs84::new(f64::NAN, 1.0), Err(NotFinite));
        assert_eq!(Wgs84::new(1.0, f64::INFINITY), Err(NotFinite));
        assert_eq!(
            Wgs84::new(-90.0001, 1.0),
            Err(LatitudeOutOfRange { lat: -90.0001 })
        );
        assert_eq!(
            Wgs84::new(-49.2, -196.6),
            Err(LongitudeOutOfRange { lon: -196.6 })
        );
        assert_eq!(Wgs84::new(0.0, 0.0), Err(NullIsland));
        assert_eq!(Wgs84::new(-0.0, 0.0), Err(NullIsland));
        assert_eq!(Wgs84::new(0.0, -0.0), Err(NullIsland));
        assert_eq!(
            NullIsland.to_string(),
            "coordenada (0, 0) inválida: provável falha de geocodificação"
        );
        // Swapped columns: a Goiânia longitude read as latitude.
        assert_eq!(
            Wgs84::new(-49.2648, -16.6869).map(|p| p.lat()),
            Ok(-49.2648)
        );
        assert_eq!(
            Wgs84::new(-149.2, -16.6),
            Err(LatitudeOutOfRange { lat: -149.2 })
        );
    }

    #[test]
    fn negative_zero_is_normalised() {
        let p = Wgs84::new(-0.0, -49.0).unwrap();
        assert!(p.lat().is_sign_positive());
        assert_eq!(p.to_string(), "0, -49");
    }

    #[test]
    fn serde_checks() {
        let p = Wgs84::new(-16.5, -49.25).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"lat":-16.5,"lon":-49.25}"#);
        assert_eq!(serde_json::from_str::<Wgs84>(&json).unwrap(), p);
        let err = serde_json::from_str::<Wgs84>(r#"{"lat":0,"lon":0}"#).unwrap_err();
        assert!(err.to_string().contains("(0, 0)"), "{err}");
        assert!(serde_json::from_str::<Wgs84>(r#"{"lat":91,"lon":0}"#).is_err());
    }

    proptest! {
        #[test]
        fn never_panics_and_keeps_values(lat in any::<f64>(), lon in any::<f64>()) {
            if let Ok(p) = Wgs84::new(lat, lon) {
                prop_assert_eq!(p.lat(), lat);
                prop_assert_eq!(p.lon(), lon);
                prop_assert!((-90.0..=90.0).contains(&p.lat()));
                prop_assert!((-180.0..=180.0).contains(&p.lon()));
            }
        }

        #[test]
        fn valid_range_is_accepted(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0) {
            prop_assume!(lat != 0.0 || lon != 0.0);
            prop_assert!(Wgs84::new(lat, lon).is_ok());
        }
    }
}
