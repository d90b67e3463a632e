//! Geohash arithmetic for the geo commands, in Redis 7.0's exact numbers:
//! a point is stored as a sorted-set score, the 52-bit interleaving of
//! its latitude and longitude cells at 26 steps (latitude bits at even
//! positions, longitude bits at odd ones), over the ranges of the Web
//! Mercator projection (longitude ±180, latitude ±85.05112878).
//!
//! Also here: decoding a score back to the centre of its cell, the eight
//! neighbouring cells, the cells a radius or box search must scan (with
//! Redis's choice of precision, so that the same members are found), the
//! haversine distance on Redis's earth radius, and the 11-character
//! standard geohash string. Pure functions, no I/O; the commands live in
//! `cmd::geo`.
//!
//! # Invariants
//!
//! * `encode` and `decode` agree with Redis bit for bit: a score written
//!   by Efis reads back in Redis as the same point and vice versa.
//! * Every floating-point step is the one Redis takes, in the same order,
//!   so distances print identically to the last digit.

/// Longitude range.
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Latitude range (Web Mercator cannot reach the poles).
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Bits per coordinate in a stored score.
pub const STEP_MAX: u8 = 26;
/// Redis's earth radius in metres (the WGS-84 quadratic mean).
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

/// A cell: its interleaved bits and the number of bits per coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub bits: u64,
    pub step: u8,
}

impl Cell {
    /// The empty cell Redis uses for "do not search here".
    const NONE: Cell = Cell { bits: 0, step: 0 };

    fn is_none(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The sorted-set scores `[min, max)` of the points inside the cell.
    pub fn score_range(self) -> (u64, u64) {
        let shift = 52 - 2 * u32::from(self.step);
        (self.bits << shift, (self.bits + 1) << shift)
    }
}

/// The box a cell covers, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub lon_min: f64,
    pub lon_max: f64,
    pub lat_min: f64,
    pub lat_max: f64,
}

/// True if the point can be stored.
pub fn valid(lon: f64, lat: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// Spreads the 32 bits of `v` to the even bit positions.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bit positions of `v` into 32 bits.
fn gather(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0xFFFF_FFFF) as u32
}

/// The cell of `step` bits per coordinate holding the point, over the
/// given latitude range (`LAT_MIN..LAT_MAX` for scores, ±90 for the
/// standard geohash). `None` outside the valid ranges.
fn encode_in(lon: f64, lat: f64, step: u8, lat_range: (f64, f64)) -> Option<Cell> {
    if !valid(lon, lat) || lat < lat_range.0 || lat > lat_range.1 {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.0) / (lat_range.1 - lat_range.0) * scale;
    let lon_offset = (lon - LONG_MIN) / (LONG_MAX - LONG_MIN) * scale;
    // C's double-to-uint32 conversion truncates.
    let bits = spread(lat_offset as u32) | (spread(lon_offset as u32) << 1);
    Some(Cell { bits, step })
}

/// The cell of `step` bits per coordinate holding a valid point.
pub fn encode(lon: f64, lat: f64, step: u8) -> Option<Cell> {
    encode_in(lon, lat, step, (LAT_MIN, LAT_MAX))
}

/// The sorted-set score of a valid point (its 26-step cell).
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(lon, lat, STEP_MAX).map(|cell| cell.score_range().0)
}

/// The box a cell covers.
pub fn area(cell: Cell) -> Area {
    let scale = (1u64 << cell.step) as f64;
    let lat_cell = gather(cell.bits);
    let lon_cell = gather(cell.bits >> 1);
    let (lat_span, lon_span) = (LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN);
    Area {
        lat_min: LAT_MIN + (f64::from(lat_cell) / scale) * lat_span,
        lat_max: LAT_MIN + ((f64::from(lat_cell) + 1.0) / scale) * lat_span,
        lon_min: LONG_MIN + (f64::from(lon_cell) / scale) * lon_span,
        lon_max: LONG_MIN + ((f64::from(lon_cell) + 1.0) / scale) * lon_span,
    }
}

/// The point a score stands for: the centre of its 26-step cell,
/// clamped to the valid ranges. `(longitude, latitude)`.
pub fn decode_score(score: f64) -> (f64, f64) {
    // C converts a negative double to uint64_t through int64_t (x86-64):
    // a score of -5 reads as the bits of -5.
    let bits = if score < 0.0 { score as i64 as u64 } else { score as u64 };
    let cell = Cell { bits, step: STEP_MAX };
    let a = area(cell);
    let lon = ((a.lon_min + a.lon_max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat_min + a.lat_max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// Moves a cell one step east (`+1`) or west (`-1`), wrapping around.
fn move_lon(cell: Cell, d: i8) -> Cell {
    move_axis(cell, d, 0xaaaa_aaaa_aaaa_aaaa)
}

/// Moves a cell one step north (`+1`) or south (`-1`), wrapping around.
fn move_lat(cell: Cell, d: i8) -> Cell {
    move_axis(cell, d, 0x5555_5555_5555_5555)
}

/// Adds ±1 to the coordinate stored in the bits of `mask`, letting the
/// carry ripple through the other coordinate's bits.
fn move_axis(cell: Cell, d: i8, mask: u64) -> Cell {
    if d == 0 {
        return cell;
    }
    let width = 64 - 2 * u32::from(cell.step);
    let mine = cell.bits & mask;
    let other = cell.bits & !mask;
    let fill = !mask >> width;
    let moved = if d > 0 { mine.wrapping_add(fill + 1) } else { (mine | fill).wrapping_sub(fill + 1) };
    Cell { bits: (moved & (mask >> width)) | other, step: cell.step }
}

/// The cells a search must scan: the centre, then north, south, east,
/// west, north-east, north-west, south-east, south-west (Redis's order);
/// a neighbour that cannot hold a match is `None`.
pub struct SearchCells {
    pub cells: [Option<Cell>; 9],
}

/// Redis's precision for a search of `radius_m` metres at `lat`.
fn steps_for_radius(mut radius_m: f64, lat: f64) -> u8 {
    if radius_m == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while radius_m < MERCATOR_MAX {
        radius_m *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The shape of a search: a circle of `radius` or a box of `width` by
/// `height`, in the user's unit, and `unit` metres per unit (Redis keeps
/// the unit apart and multiplies where it needs metres, which rounds
/// differently from converting first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub kind: ShapeKind,
    pub unit: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// The bounding box of a shape centred on `(lon, lat)`:
/// `[lon_min, lat_min, lon_max, lat_max]`.
fn bounds(shape: Shape, lon: f64, lat: f64) -> [f64; 4] {
    let (height, width) = match shape.kind {
        ShapeKind::Radius(r) => (shape.unit * r, shape.unit * r),
        ShapeKind::Box { width, height } => (shape.unit * (height / 2.0), shape.unit * (width / 2.0)),
    };
    let lat_delta = (height / EARTH_RADIUS_M).to_degrees_like_redis();
    let top = (width / EARTH_RADIUS_M / (lat + lat_delta).to_radians_like_redis().cos()).to_degrees_like_redis();
    let bottom = (width / EARTH_RADIUS_M / (lat - lat_delta).to_radians_like_redis().cos()).to_degrees_like_redis();
    let long_delta = if lat < 0.0 { bottom } else { top };
    [lon - long_delta, lat - lat_delta, lon + long_delta, lat + lat_delta]
}

/// Redis's degree/radian conversions (`x * (π/180)`, `x / (π/180)`),
/// which differ from Rust's in the last bit.
trait RedisAngles {
    fn to_radians_like_redis(self) -> f64;
    fn to_degrees_like_redis(self) -> f64;
}

const D_R: f64 = std::f64::consts::PI / 180.0;

impl RedisAngles for f64 {
    fn to_radians_like_redis(self) -> f64 {
        self * D_R
    }
    fn to_degrees_like_redis(self) -> f64 {
        self / D_R
    }
}

/// The cells to scan for a search of `shape` around `(lon, lat)`.
pub fn search_cells(shape: Shape, lon: f64, lat: f64) -> SearchCells {
    let [min_lon, min_lat, max_lon, max_lat] = bounds(shape, lon, lat);
    let radius = match shape.kind {
        ShapeKind::Radius(r) => r,
        ShapeKind::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
    } * shape.unit;
    let mut step = steps_for_radius(radius, lat);
    let mut centre = encode(lon, lat, step).unwrap_or(Cell::NONE);
    let mut around = neighbours(centre);
    // A step too coarse at the edges of the area is made one finer.
    let (north, south, east, west) = (area(around[0]), area(around[1]), area(around[2]), area(around[3]));
    let too_coarse =
        north.lat_max < max_lat || south.lat_min > min_lat || east.lon_max < max_lon || west.lon_min > min_lon;
    if step > 1 && too_coarse {
        step -= 1;
        centre = encode(lon, lat, step).unwrap_or(Cell::NONE);
        around = neighbours(centre);
    }
    let mut cells = [Some(centre), None, None, None, None, None, None, None, None];
    for (slot, cell) in cells[1..].iter_mut().zip(around) {
        *slot = Some(cell);
    }
    // Leave out the neighbours the shape cannot reach.
    if step >= 2 {
        let a = area(centre);
        let mut drop = |indexes: [usize; 3]| indexes.iter().for_each(|&i| cells[i] = None);
        if a.lat_min < min_lat {
            drop([2, 7, 8]);
        }
        if a.lat_max > max_lat {
            drop([1, 5, 6]);
        }
        if a.lon_min < min_lon {
            drop([4, 8, 6]);
        }
        if a.lon_max > max_lon {
            drop([3, 7, 5]);
        }
    }
    for cell in &mut cells {
        if cell.is_some_and(Cell::is_none) {
            *cell = None;
        }
    }
    SearchCells { cells }
}

/// North, south, east, west, north-east, north-west, south-east,
/// south-west.
fn neighbours(cell: Cell) -> [Cell; 8] {
    [
        move_lat(cell, 1),
        move_lat(cell, -1),
        move_lon(cell, 1),
        move_lon(cell, -1),
        move_lat(move_lon(cell, 1), 1),
        move_lat(move_lon(cell, -1), 1),
        move_lat(move_lon(cell, 1), -1),
        move_lat(move_lon(cell, -1), -1),
    ]
}

/// Metres between two latitudes on the same meridian.
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (lat2.to_radians_like_redis() - lat1.to_radians_like_redis()).abs()
}

/// The haversine distance in metres, as Redis computes it.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((lon2.to_radians_like_redis() - lon1.to_radians_like_redis()) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (lat1.to_radians_like_redis(), lat2.to_radians_like_redis());
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// The distance from the centre `(lon, lat)` to `(x, y)` if the point
/// lies within the shape.
pub fn within(shape: Shape, lon: f64, lat: f64, x: f64, y: f64) -> Option<f64> {
    match shape.kind {
        ShapeKind::Radius(radius) => {
            let radius = radius * shape.unit;
            // A point farther north or south than the radius is out: the
            // meridian distance never exceeds the great-circle one (with a
            // margin far above rounding, so nothing in range is skipped).
            if lat_distance(y, lat) > radius * (1.0 + 1e-9) {
                return None;
            }
            Some(distance(lon, lat, x, y)).filter(|&d| d <= radius)
        }
        ShapeKind::Box { width, height } => {
            let (width, height) = (width * shape.unit, height * shape.unit);
            if lat_distance(y, lat) > height / 2.0 || distance(x, y, lon, y) > width / 2.0 {
                return None;
            }
            Some(distance(lon, lat, x, y))
        }
    }
}

/// The standard 11-character geohash (latitude over ±90) of a score.
pub fn geohash_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let bits = encode_in(lon, lat, STEP_MAX, (-90.0, 90.0)).map_or(0, |cell| cell.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_gather_are_inverse() {
        for v in [0u32, 1, 0xdead_beef, u32::MAX, 0x0300_0001] {
            assert_eq!(gather(spread(v)), v);
            assert_eq!(spread(v) & 0xaaaa_aaaa_aaaa_aaaa, 0);
        }
    }

    #[test]
    fn scores_as_redis_stores_them() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        let (lon, lat) = decode_score(3479099956230698.0);
        assert!((lon - 13.361389).abs() < 1e-5 && (lat - 38.115556).abs() < 1e-5);
    }

    #[test]
    fn distances_and_hashes_as_redis_prints_them() {
        let (a, b) = (decode_score(3479099956230698.0), decode_score(3479447370796909.0));
        // GEODIST Sicily Palermo Catania: "166274.1516".
        let d = distance(a.0, a.1, b.0, b.1);
        assert_eq!((d * 10000.0).round_ties_even() as i64, 1662741516);
        assert_eq!(&geohash_string(3479099956230698.0), b"sqc8b49rny0");
        assert_eq!(&geohash_string(3479447370796909.0), b"sqdtr74hyu0");
    }

    #[test]
    fn neighbours_wrap_and_move_one_cell() {
        let cell = encode(0.0, 0.0, 2).unwrap();
        let [north, south, east, west, ..] = neighbours(cell);
        assert!(area(north).lat_min == area(cell).lat_max);
        assert!(area(south).lat_max == area(cell).lat_min);
        assert!(area(east).lon_min == area(cell).lon_max);
        assert!(area(west).lon_max == area(cell).lon_min);
        let edge = encode(179.9, 0.0, 3).unwrap();
        assert_eq!(area(move_lon(edge, 1)).lon_min, -180.0);
    }

    #[test]
    fn search_precision() {
        assert_eq!(steps_for_radius(0.0, 0.0), 26);
        assert_eq!(steps_for_radius(200_000.0, 10.0), 6);
        assert_eq!(steps_for_radius(200_000.0, 70.0), 5);
        assert_eq!(steps_for_radius(200_000.0, 85.0), 4);
        assert_eq!(steps_for_radius(1e9, 0.0), 1);
    }
}
