//! WGS84 longitude/latitude ↔ UTM (Universal Transverse Mercator) in metres, by Krüger's series to the
//! sixth order in the third flattening n (Karney 2011, "Transverse Mercator with an accuracy of a few
//! nanometers"): well under a millimetre within a zone and its neighbours' edges. Hot-spot grids are laid
//! in these metres (igesp.md §3: "a regular grid … in a metric projection").

/// WGS84 semi-major axis (m).
const A: f64 = 6_378_137.0;
/// WGS84 flattening.
const F: f64 = 1.0 / 298.257_223_563;
/// UTM scale on the central meridian.
const K0: f64 = 0.9996;
/// False easting (m).
const E0: f64 = 500_000.0;
/// False northing in the southern hemisphere (m).
const N0_SOUTH: f64 = 10_000_000.0;

/// A UTM zone: its number (1–60) and hemisphere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// 1 to 60, 6° wide from 180° W.
    pub number: u8,
    /// Southern hemisphere (false northing 10 000 km).
    pub south: bool,
}

impl Zone {
    /// The zone a point falls in (Norway's and Svalbard's exceptions do not concern Brazil and are not
    /// applied).
    pub fn of(lon: f64, lat: f64) -> Zone {
        let n = ((lon + 180.0) / 6.0).floor() as i64 + 1;
        Zone {
            number: n.clamp(1, 60) as u8,
            south: lat < 0.0,
        }
    }

    /// Longitude of the central meridian (degrees).
    pub fn central_meridian(self) -> f64 {
        f64::from(self.number) * 6.0 - 183.0
    }
}

struct Series {
    a_hat: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
    e: f64,
}

fn series() -> &'static Series {
    static S: std::sync::OnceLock<Series> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let n = F / (2.0 - F);
        let (n2, n3, n4, n5, n6) = (n * n, n.powi(3), n.powi(4), n.powi(5), n.powi(6));
        let a_hat = A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        let alpha = [
            n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
                + 7891.0 * n6 / 37800.0,
            13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
                - 1_983_433.0 * n6 / 1_935_360.0,
            61.0 * n3 / 240.0 - 103.0 * n4 / 140.0
                + 15061.0 * n5 / 26880.0
                + 167_603.0 * n6 / 181_440.0,
            49561.0 * n4 / 161_280.0 - 179.0 * n5 / 168.0 + 6_601_661.0 * n6 / 7_257_600.0,
            34729.0 * n5 / 80640.0 - 3_418_889.0 * n6 / 1_995_840.0,
            212_378_941.0 * n6 / 319_334_400.0,
        ];
        let beta = [
            n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
                + 96199.0 * n6 / 604_800.0,
            n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
                - 1_118_711.0 * n6 / 3_870_720.0,
            17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
            4397.0 * n4 / 161_280.0 - 11.0 * n5 / 504.0 - 830_251.0 * n6 / 7_257_600.0,
            4583.0 * n5 / 161_280.0 - 108_847.0 * n6 / 3_991_680.0,
            20_648_693.0 * n6 / 638_668_800.0,
        ];
        Series {
            a_hat,
            alpha,
            beta,
            e: (F * (2.0 - F)).sqrt(),
        }
    })
}

/// WGS84 degrees → UTM metres (easting, northing) in `zone`.
pub fn to_utm(lon: f64, lat: f64, zone: Zone) -> (f64, f64) {
    let s = series();
    let phi = lat.to_radians();
    let lambda = (lon - zone.central_meridian()).to_radians();
    // Conformal latitude.
    let t = (phi.sin().atanh() - s.e * (s.e * phi.sin()).atanh()).sinh();
    let xi_p = t.atan2(lambda.cos());
    let eta_p = (lambda.sin() / (t * t + lambda.cos().powi(2)).sqrt()).asinh();
    let mut xi = xi_p;
    let mut eta = eta_p;
    for (k, a) in s.alpha.iter().enumerate() {
        let j = 2.0 * (k as f64 + 1.0);
        xi += a * (j * xi_p).sin() * (j * eta_p).cosh();
        eta += a * (j * xi_p).cos() * (j * eta_p).sinh();
    }
    let easting = E0 + K0 * s.a_hat * eta;
    let mut northing = K0 * s.a_hat * xi;
    if zone.south {
        northing += N0_SOUTH;
    }
    (easting, northing)
}

/// UTM metres in `zone` → WGS84 degrees (longitude, latitude).
pub fn from_utm(easting: f64, northing: f64, zone: Zone) -> (f64, f64) {
    let s = series();
    let y = if zone.south {
        northing - N0_SOUTH
    } else {
        northing
    };
    let xi = y / (K0 * s.a_hat);
    let eta = (easting - E0) / (K0 * s.a_hat);
    let mut xi_p = xi;
    let mut eta_p = eta;
    for (k, b) in s.beta.iter().enumerate() {
        let j = 2.0 * (k as f64 + 1.0);
        xi_p -= b * (j * xi).sin() * (j * eta).cosh();
        eta_p -= b * (j * xi).cos() * (j * eta).sinh();
    }
    let tau_p = xi_p.sin() / (eta_p.sinh().powi(2) + xi_p.cos().powi(2)).sqrt();
    let lambda = eta_p.sinh().atan2(xi_p.cos());
    // Newton's method for tan(phi) from the conformal tau' (Karney 2011, eqs. 19–21).
    let e2 = s.e * s.e;
    let mut tau = tau_p;
    for _ in 0..5 {
        let sigma = (s.e * (s.e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
        let tau_i = tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt();
        let d = (tau_p - tau_i) / (1.0 + tau_i * tau_i).sqrt() * (1.0 + (1.0 - e2) * tau * tau)
            / ((1.0 - e2) * (1.0 + tau * tau).sqrt());
        tau += d;
        if d.abs() < 1e-15 {
            break;
        }
    }
    let lat = tau.atan().to_degrees();
    let lon = zone.central_meridian() + lambda.to_degrees();
    (lon, lat.clamp(-90.0, 90.0))
}
