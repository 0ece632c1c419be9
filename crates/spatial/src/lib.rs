//! Spatial algorithms of Atalaia, in pure Rust (geo, h3o): point-in-polygon assignment of occurrences
//! to the areas in force at their date; WGS84 ↔ UTM (`utm`); square grids and their neighbours (`grid`);
//! Getis–Ord Gi* with Benjamini–Hochberg (`gistar`); the study area's cells, squares or H3 hexagons
//! (`study`); the buffer ring around an area for evaluations (`ring`); the emerging classes (`emerging`); and the whole analysis of an area (`hotspot`).
//!
//! Coordinates are WGS84 longitude/latitude degrees; containment is planar on those degrees, which is
//! exact for the question "which polygon holds this point" (the polygons are drawn on the same plane).

pub mod areas;
pub mod budget;
mod cells_geojson;
pub mod concentration;
pub mod emerging;
pub mod gistar;
pub mod grid;
pub mod hotspot;
pub mod kde;
pub mod pip;
pub mod ring;
pub mod shapes;
pub mod study;
pub mod utm;

pub use areas::{AreaIndex, AreaVersion};
pub use pip::PreparedArea;
pub use ring::BufferRing;
