//! Geo commands on sorted sets: GEOADD, GEODIST, GEOHASH, GEOPOS,
//! GEORADIUS, GEORADIUS_RO, GEORADIUSBYMEMBER, GEORADIUSBYMEMBER_RO,
//! GEOSEARCH and GEOSEARCHSTORE, with Redis 7.0's arguments, replies and
//! errors.
//!
//! A point is a sorted-set member whose score is its 52-bit geohash
//! (`crate::store::geohash` has the arithmetic); a geo key is an ordinary
//! sorted set, so every sorted-set command works on it. A search scans
//! the score ranges of the centre cell and its neighbours, keeps the
//! members inside the shape, and sorts by distance when asked (or when a
//! `COUNT` without `ANY` needs the nearest).
//!
//! Numbers print as Redis prints them: distances with four decimals
//! (`llrint` of the value times 10⁴), coordinates as `%.17Lf` without
//! trailing zeros (RESP3 doubles in RESP3).
//!
//! # Logging
//!
//! `GEOADD` is logged as the `ZADD` of the scores it computed; a search
//! that stores is logged as what it stored (`DEL` of the destination,
//! then a `ZADD` of the stored members with their exact scores).

use super::args::{is, parse_i64};
use super::meta::{after_keyword, arg, key, Arg, KeySpec};
use super::table::{CommandSpec, Flags, KEY1};
use super::zset::{parse_score, store_zset, zset_ref};
use super::{lookup, CmdError, CmdResult, Ctx};
use crate::protocol::{format_double, Args, Reply};
use crate::store::geohash::{self, Shape, ShapeKind};
use crate::store::zset::{ScoreBound, ZSet};

const R: Flags = Flags::READONLY;
const WD: Flags = Flags::WRITE.or(Flags::DENYOOM);

/// The distance units, as the docs list them.
const UNITS: &[Arg] = &[arg::token("m", "M"), arg::token("km", "KM"), arg::token("ft", "FT"), arg::token("mi", "MI")];
const ORDER: Arg = arg::oneof("order", &[arg::token("asc", "ASC"), arg::token("desc", "DESC")]).optional();
const WITH_FLAGS: [Arg; 3] = [
    arg::token("withcoord", "WITHCOORD").optional(),
    arg::token("withdist", "WITHDIST").optional(),
    arg::token("withhash", "WITHHASH").optional(),
];
/// `COUNT count [ANY]`, `ANY` marked as added in 6.2.0 (GEORADIUS and
/// GEORADIUS_RO) or not.
const COUNT_ANY_SINCE: Arg =
    arg::block("count", &[arg::integer("count").token("COUNT"), arg::token("any", "ANY").optional().since("6.2.0")])
        .optional();
const COUNT_ANY: Arg =
    arg::block("count", &[arg::integer("count").token("COUNT"), arg::token("any", "ANY").optional()]).optional();
/// GEOSEARCH's centre and shape.
const FROM: Arg = arg::oneof(
    "from",
    &[
        arg::string("member").token("FROMMEMBER"),
        arg::block("longitude_latitude", &[arg::double("longitude"), arg::double("latitude")]).token("FROMLONLAT"),
    ],
);
const BY: Arg = arg::oneof(
    "by",
    &[
        arg::block("circle", &[arg::double("radius").token("BYRADIUS"), arg::oneof("unit", UNITS)]),
        arg::block("box", &[arg::double("width").token("BYBOX"), arg::double("height"), arg::oneof("unit", UNITS)]),
    ],
);
const RADIUS_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements inside the bounding box of the \
    circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box \
    area around the shape provided as the filter and M is the number of items inside the shape";
const UPPERCASE_UNITS: (&str, &str) = ("7.0.0", "Added support for uppercase unit names.");
const ADDED_ANY: (&str, &str) = ("6.2.0", "Added the `ANY` option for `COUNT`.");
/// GEORADIUS's and GEORADIUSBYMEMBER's key specs: the source, then the
/// `STORE` and `STOREDIST` destinations searched from argument `start`.
const fn radius_store_specs(start: i32) -> [KeySpec; 3] {
    [key(1, "RO access"), after_keyword("STORE", start, "OW update"), after_keyword("STOREDIST", start, "OW update")]
}
const RADIUS_STORE_SPECS: [KeySpec; 3] = radius_store_specs(6);
const BYMEMBER_STORE_SPECS: [KeySpec; 3] = radius_store_specs(5);

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("geoadd", -5, WD, KEY1, geoadd)
        .acl("geo")
        .keys(&[key(1, "RW update")])
        .doc(
            "geo",
            "3.2.0",
            "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
            "Add one or more geospatial items in the geospatial index represented using a sorted set",
        )
        .history(&[("6.2.0", "Added the `CH`, `NX` and `XX` options.")])
        .args(&[
            arg::key("key", 0),
            arg::oneof("condition", &[arg::token("nx", "NX"), arg::token("xx", "XX")]).optional().since("6.2.0"),
            arg::token("change", "CH").optional().since("6.2.0"),
            arg::block(
                "longitude_latitude_member",
                &[arg::double("longitude"), arg::double("latitude"), arg::string("member")],
            )
            .multiple(),
        ]),
    CommandSpec::new("geodist", -4, R, KEY1, geodist)
        .acl("geo")
        .keys(&[key(1, "RO access")])
        .doc("geo", "3.2.0", "O(log(N))", "Returns the distance between two members of a geospatial index")
        .args(&[
            arg::key("key", 0),
            arg::string("member1"),
            arg::string("member2"),
            arg::oneof("unit", UNITS).optional(),
        ]),
    CommandSpec::new("geohash", -2, R, KEY1, geohash_cmd)
        .acl("geo")
        .keys(&[key(1, "RO access")])
        .doc(
            "geo",
            "3.2.0",
            "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
            "Returns members of a geospatial index as standard geohash strings",
        )
        .args(&[arg::key("key", 0), arg::string("member").multiple()]),
    CommandSpec::new("geopos", -2, R, KEY1, geopos)
        .acl("geo")
        .keys(&[key(1, "RO access")])
        .doc(
            "geo",
            "3.2.0",
            "O(N) where N is the number of members requested.",
            "Returns longitude and latitude of members of a geospatial index",
        )
        .args(&[arg::key("key", 0), arg::string("member").multiple()]),
    CommandSpec::new("georadius", -6, WD, KEY1, georadius)
        .acl("geo")
        .keys(&RADIUS_STORE_SPECS)
        .doc(
            "geo",
            "3.2.0",
            RADIUS_COMPLEXITY,
            "Query a sorted set representing a geospatial index to fetch members matching a given maximum \
                distance from a point",
        )
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument")
        .history(&[ADDED_ANY, UPPERCASE_UNITS])
        .args(&[
            arg::key("key", 0),
            arg::double("longitude"),
            arg::double("latitude"),
            arg::double("radius"),
            arg::oneof("unit", UNITS),
            WITH_FLAGS[0],
            WITH_FLAGS[1],
            WITH_FLAGS[2],
            COUNT_ANY_SINCE,
            ORDER,
            arg::key("key", 1).token("STORE").optional(),
            arg::key("key", 2).token("STOREDIST").optional(),
        ]),
    CommandSpec::new("georadius_ro", -6, R, KEY1, georadius_ro)
        .acl("geo")
        .keys(&[key(1, "RO access")])
        .doc("geo", "3.2.10", RADIUS_COMPLEXITY, "A read-only variant for GEORADIUS")
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument")
        .history(&[ADDED_ANY])
        .args(&[
            arg::key("key", 0),
            arg::double("longitude"),
            arg::double("latitude"),
            arg::double("radius"),
            arg::oneof("unit", UNITS),
            WITH_FLAGS[0],
            WITH_FLAGS[1],
            WITH_FLAGS[2],
            COUNT_ANY_SINCE,
            ORDER,
        ]),
    CommandSpec::new("georadiusbymember", -5, WD, KEY1, georadiusbymember)
        .acl("geo")
        .keys(&BYMEMBER_STORE_SPECS)
        .doc(
            "geo",
            "3.2.0",
            RADIUS_COMPLEXITY,
            "Query a sorted set representing a geospatial index to fetch members matching a given maximum \
                distance from a member",
        )
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments")
        .history(&[UPPERCASE_UNITS])
        .args(&[
            arg::key("key", 0),
            arg::string("member"),
            arg::double("radius"),
            arg::oneof("unit", UNITS),
            WITH_FLAGS[0],
            WITH_FLAGS[1],
            WITH_FLAGS[2],
            COUNT_ANY,
            ORDER,
            arg::key("key", 1).token("STORE").optional(),
            arg::key("key", 2).token("STOREDIST").optional(),
        ]),
    CommandSpec::new("georadiusbymember_ro", -5, R, KEY1, georadiusbymember_ro)
        .acl("geo")
        .keys(&[key(1, "RO access")])
        .doc("geo", "3.2.10", RADIUS_COMPLEXITY, "A read-only variant for GEORADIUSBYMEMBER")
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments")
        .args(&[
            arg::key("key", 0),
            arg::string("member"),
            arg::double("radius"),
            arg::oneof("unit", UNITS),
            WITH_FLAGS[0],
            WITH_FLAGS[1],
            WITH_FLAGS[2],
            COUNT_ANY,
            ORDER,
        ]),
    CommandSpec::new("geosearch", -7, R, KEY1, geosearch)
        .acl("geo")
        .keys(&[key(1, "RO access")])
        .doc(
            "geo",
            "6.2.0",
            SEARCH_COMPLEXITY,
            "Query a sorted set representing a geospatial index to fetch members inside an area of a box or \
                a circle.",
        )
        .history(&[UPPERCASE_UNITS])
        .args(&[arg::key("key", 0), FROM, BY, ORDER, COUNT_ANY, WITH_FLAGS[0], WITH_FLAGS[1], WITH_FLAGS[2]]),
    CommandSpec::new("geosearchstore", -8, WD, (1, 2, 1), geosearchstore)
        .acl("geo")
        .keys(&[key(1, "OW update"), key(2, "RO access")])
        .doc(
            "geo",
            "6.2.0",
            SEARCH_COMPLEXITY,
            "Query a sorted set representing a geospatial index to fetch members inside an area of a box or \
                a circle, and store the result in another key.",
        )
        .history(&[UPPERCASE_UNITS])
        .args(&[
            arg::key("destination", 0),
            arg::key("source", 1),
            FROM,
            BY,
            ORDER,
            COUNT_ANY,
            arg::token("storedist", "STOREDIST").optional(),
        ]),
];

// ---------------------------------------------------------------------
// Arguments and number formats
// ---------------------------------------------------------------------

/// A coordinate pair `longitude latitude`, with Redis's errors.
fn parse_lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let lon = parse_score(lon).ok_or(CmdError::NotFloat)?;
    let lat = parse_score(lat).ok_or(CmdError::NotFloat)?;
    if !geohash::valid(lon, lat) {
        return Err(CmdError::Owned(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// Metres per unit (`m`, `km`, `ft`, `mi`).
fn parse_unit(unit: &[u8]) -> Result<f64, CmdError> {
    match unit {
        u if is(u, "m") => Ok(1.0),
        u if is(u, "km") => Ok(1000.0),
        u if is(u, "ft") => Ok(0.3048),
        u if is(u, "mi") => Ok(1609.34),
        _ => Err(CmdError::Static("ERR unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// `radius unit`.
fn parse_radius(radius: &[u8], unit: &[u8]) -> Result<Shape, CmdError> {
    let radius = parse_score(radius).ok_or(CmdError::Static("ERR need numeric radius"))?;
    if radius < 0.0 {
        return Err(CmdError::Static("ERR radius cannot be negative"));
    }
    Ok(Shape { kind: ShapeKind::Radius(radius), unit: parse_unit(unit)? })
}

/// `width height unit`.
fn parse_box(width: &[u8], height: &[u8], unit: &[u8]) -> Result<Shape, CmdError> {
    let width = parse_score(width).ok_or(CmdError::Static("ERR need numeric width"))?;
    let height = parse_score(height).ok_or(CmdError::Static("ERR need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(CmdError::Static("ERR height or width cannot be negative"));
    }
    Ok(Shape { kind: ShapeKind::Box { width, height }, unit: parse_unit(unit)? })
}

/// A distance as Redis prints it: four decimals, rounded half to even.
fn reply_distance(out: &mut Reply<'_>, distance: f64) {
    let scaled = (distance * 10000.0).round_ties_even() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let magnitude = scaled.unsigned_abs();
    out.bulk(format!("{sign}{}.{:04}", magnitude / 10000, magnitude % 10000).as_bytes());
}

/// A coordinate as Redis's `addReplyHumanLongDouble` prints it.
fn reply_coordinate(out: &mut Reply<'_>, value: f64) {
    let mut text = format!("{value:.17}");
    if text.contains('.') {
        let kept = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(kept);
    }
    if text == "-0" {
        text = "0".to_string();
    }
    if out.resp3 {
        out.buf.push(b',');
        out.buf.extend_from_slice(text.as_bytes());
        out.buf.extend_from_slice(b"\r\n");
    } else {
        out.bulk(text.as_bytes());
    }
}

fn reply_position(out: &mut Reply<'_>, score: f64) {
    let (lon, lat) = geohash::decode_score(score);
    out.array(2);
    reply_coordinate(out, lon);
    reply_coordinate(out, lat);
}

/// An argument list built by a command (the `ZADD` GEOADD runs).
struct Built {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl Built {
    fn with_capacity(args: usize, bytes: usize) -> Built {
        Built { bytes: Vec::with_capacity(bytes), spans: Vec::with_capacity(args) }
    }

    /// Appends an integer argument, written in place.
    fn push_u64(&mut self, value: u64) {
        use std::io::Write;
        let start = self.bytes.len();
        let _ = write!(self.bytes, "{value}");
        self.spans.push((start, self.bytes.len()));
    }

    fn push(&mut self, arg: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(arg);
        self.spans.push((start, self.bytes.len()));
    }

    fn args(&self) -> Args<'_> {
        Args::new(&self.bytes, &self.spans)
    }
}

// ---------------------------------------------------------------------
// GEOADD, GEOPOS, GEOHASH, GEODIST
// ---------------------------------------------------------------------

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: runs the
/// `ZADD` of the computed scores. O(m log n).
fn geoadd(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut first = 2;
    let (mut nx, mut xx) = (false, false);
    while first < args.len() {
        match args.get(first) {
            o if is(o, "nx") => nx = true,
            o if is(o, "xx") => xx = true,
            o if is(o, "ch") => {}
            _ => break,
        }
        first += 1;
    }
    if !(args.len() - first).is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let elements = (args.len() - first) / 3;
    let mut zadd = Built::with_capacity(first + 2 * elements, args.iter().map(<[u8]>::len).sum::<usize>() + 8);
    zadd.push(b"ZADD");
    for arg in args.iter().take(first).skip(1) {
        zadd.push(arg);
    }
    for i in (first..args.len()).step_by(3) {
        let (lon, lat) = parse_lon_lat(args.get(i), args.get(i + 1))?;
        zadd.push_u64(geohash::score_of(lon, lat).unwrap_or(0));
        zadd.push(args.get(i + 2));
    }
    let spec = lookup(b"zadd").ok_or(CmdError::Static("ERR unknown command 'zadd'"))?;
    let dirty = ctx.server.persist.dirty;
    (spec.handler)(ctx, zadd.args())?;
    if ctx.server.persist.dirty != dirty {
        let logged: Vec<&[u8]> = zadd.args().iter().collect();
        ctx.log_as(&logged);
    }
    Ok(())
}

/// The scores of `members` of the sorted set under `key` (`None` for a
/// missing member or key).
fn scores_of(ctx: &mut Ctx<'_>, key: &[u8], members: Args<'_>) -> Result<Vec<Option<f64>>, CmdError> {
    let now = ctx.now_ms;
    let zset = zset_ref(ctx.db(), key, now)?;
    Ok(members.iter().map(|m| zset.and_then(|z| z.score(m))).collect())
}

/// GEOPOS key [member ...]: `[longitude, latitude]` or null for each.
fn geopos(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let scores = scores_of(ctx, args.get(1), args.tail(2))?;
    ctx.out.array(scores.len());
    for score in scores {
        match score {
            Some(score) => reply_position(&mut ctx.out, score),
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}

/// GEOHASH key [member ...]: the standard 11-character geohash of each.
fn geohash_cmd(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let scores = scores_of(ctx, args.get(1), args.tail(2))?;
    ctx.out.array(scores.len());
    for score in scores {
        match score {
            Some(score) => ctx.out.bulk(&geohash::geohash_string(score)),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// GEODIST key member1 member2 [unit]: the distance, or null if either
/// member (or the key) is missing.
fn geodist(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let unit = match args.len() {
        4 => 1.0,
        5 => parse_unit(args.get(4))?,
        _ => return Err(CmdError::Syntax),
    };
    match scores_of(ctx, args.get(1), args.head(4).tail(2))?[..] {
        [Some(a), Some(b)] => {
            let ((lon1, lat1), (lon2, lat2)) = (geohash::decode_score(a), geohash::decode_score(b));
            reply_distance(&mut ctx.out, geohash::distance(lon1, lat1, lon2, lat2) / unit);
        }
        _ => ctx.out.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Searches
// ---------------------------------------------------------------------

/// Which search command runs.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    /// GEORADIUS[_RO] key longitude latitude radius unit ...
    Radius { store: bool },
    /// GEORADIUSBYMEMBER[_RO] key member radius unit ...
    ByMember { store: bool },
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE destination source ...
    SearchStore,
}

#[derive(Clone, Copy, PartialEq)]
enum Order {
    None,
    Asc,
    Desc,
}

/// A member found by a search (borrowed from the sorted set, or owned
/// once the set is no longer borrowed, for a store).
struct Found<M> {
    member: M,
    score: f64,
    lon: f64,
    lat: f64,
    distance: f64,
}

/// Everything a search's arguments say.
struct Search<'a> {
    centre: Option<(f64, f64)>,
    shape: Option<Shape>,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    order: Order,
    count: usize,
    any: bool,
    store: Option<&'a [u8]>,
    store_dist: bool,
}

/// The score of `member` in `zset`, as the centre of a search.
fn member_centre(zset: Option<&ZSet>, member: &[u8]) -> Result<(f64, f64), CmdError> {
    let score =
        zset.and_then(|z| z.score(member)).ok_or(CmdError::Static("ERR could not decode requested zset member"))?;
    Ok(geohash::decode_score(score))
}

/// Parses a search's arguments in Redis's order, with its errors.
/// `zset` is the source (looked up first, as Redis does).
fn parse_search<'a>(args: Args<'a>, form: Form, zset: Option<&ZSet>) -> Result<Search<'a>, CmdError> {
    let mut s = Search {
        centre: None,
        shape: None,
        with_dist: false,
        with_hash: false,
        with_coord: false,
        order: Order::None,
        count: 0,
        any: false,
        store: None,
        store_dist: false,
    };
    let base = match form {
        Form::Radius { .. } => {
            s.centre = Some(parse_lon_lat(args.get(2), args.get(3))?);
            s.shape = Some(parse_radius(args.get(4), args.get(5))?);
            6
        }
        Form::ByMember { .. } => {
            if zset.is_some() {
                s.centre = Some(member_centre(zset, args.get(2))?);
                s.shape = Some(parse_radius(args.get(3), args.get(4))?);
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => {
            s.store = Some(args.get(1));
            3
        }
    };
    let may_store = matches!(form, Form::Radius { store: true } | Form::ByMember { store: true });
    let searching = matches!(form, Form::Search | Form::SearchStore);
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) = (false, false, false, false);
    let mut i = base;
    while i < args.len() {
        let arg = args.get(i);
        let more = args.len() - 1 - i;
        if is(arg, "withdist") {
            s.with_dist = true;
        } else if is(arg, "withhash") {
            s.with_hash = true;
        } else if is(arg, "withcoord") {
            s.with_coord = true;
        } else if is(arg, "any") {
            s.any = true;
        } else if is(arg, "asc") {
            s.order = Order::Asc;
        } else if is(arg, "desc") {
            s.order = Order::Desc;
        } else if is(arg, "count") && more >= 1 {
            let count = parse_i64(args.get(i + 1))?;
            if count <= 0 {
                return Err(CmdError::Static("ERR COUNT must be > 0"));
            }
            s.count = usize::try_from(count).unwrap_or(usize::MAX);
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && more >= 1 && may_store {
            s.store = Some(args.get(i + 1));
            s.store_dist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && form == Form::SearchStore {
            s.store_dist = true;
        } else if is(arg, "frommember") && more >= 1 && searching && !from_lonlat {
            if zset.is_some() {
                s.centre = Some(member_centre(zset, args.get(i + 1))?);
            }
            from_member = true;
            i += 1;
        } else if is(arg, "fromlonlat") && more >= 2 && searching && !from_member {
            s.centre = Some(parse_lon_lat(args.get(i + 1), args.get(i + 2))?);
            from_lonlat = true;
            i += 2;
        } else if is(arg, "byradius") && more >= 2 && searching && !by_box {
            s.shape = Some(parse_radius(args.get(i + 1), args.get(i + 2))?);
            by_radius = true;
            i += 2;
        } else if is(arg, "bybox") && more >= 3 && searching && !by_radius {
            s.shape = Some(parse_box(args.get(i + 1), args.get(i + 2), args.get(i + 3))?);
            by_box = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if s.store.is_some() && (s.with_dist || s.with_hash || s.with_coord) {
        let what = if form == Form::SearchStore { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(CmdError::Owned(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(args.get(0));
    if searching && !(from_member || from_lonlat) {
        return Err(CmdError::Owned(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if searching && !(by_radius || by_box) {
        return Err(CmdError::Owned(format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if s.any && s.count == 0 {
        return Err(CmdError::Static("ERR the ANY argument requires COUNT argument"));
    }
    Ok(s)
}

/// The members of `zset` inside the shape around `centre`, in the order
/// the cells are scanned; with `limit`, stops once that many are found.
fn find(zset: &ZSet, shape: Shape, centre: (f64, f64), limit: usize) -> Vec<Found<&[u8]>> {
    let (lon, lat) = centre;
    let mut found = Vec::new();
    let mut last: Option<geohash::Cell> = None;
    for cell in geohash::search_cells(shape, lon, lat).cells.into_iter().flatten() {
        // Huge radii make neighbours coincide: scan each range once.
        if last == Some(cell) {
            continue;
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        last = Some(cell);
        let (min, max) = cell.score_range();
        let (start, end) = zset.score_ranks(
            ScoreBound { value: min as f64, exclusive: false },
            ScoreBound { value: max as f64, exclusive: true },
        );
        // Scores first: a member's own block is read only if it is kept.
        for (member, score) in zset.range(start, end - start, false).lazily() {
            let (x, y) = geohash::decode_score(score);
            if let Some(distance) = geohash::within(shape, lon, lat, x, y) {
                found.push(Found { member: member.get(), score, lon: x, lat: y, distance });
            }
            if limit != 0 && found.len() >= limit {
                break;
            }
        }
    }
    found
}

/// The search commands' one implementation (Redis's `georadiusGeneric`).
fn search(ctx: &mut Ctx<'_>, args: Args<'_>, form: Form) -> CmdResult {
    let source = args.get(if form == Form::SearchStore { 2 } else { 1 });
    let now = ctx.now_ms;
    let store = ctx.store.db(ctx.db_index);
    let zset = zset_ref(store, source, now)?;
    let request = parse_search(args, form, zset)?;
    let (Some(zset), Some(centre), Some(shape)) = (zset, request.centre, request.shape) else {
        // No source: an empty answer, or an emptied destination.
        match request.store {
            Some(destination) => store_found(ctx, destination, &[], &request, form),
            None => ctx.out.array(0),
        }
        return Ok(());
    };
    let mut order = request.order;
    if request.count != 0 && order == Order::None && !request.any {
        order = Order::Asc;
    }
    let mut found = find(zset, shape, centre, if request.any { request.count } else { 0 });
    match order {
        Order::None => {}
        Order::Asc => found.sort_by(|a, b| a.distance.total_cmp(&b.distance)),
        Order::Desc => found.sort_by(|a, b| b.distance.total_cmp(&a.distance)),
    }
    if request.count != 0 {
        found.truncate(request.count);
    }
    for point in &mut found {
        point.distance /= shape.unit;
    }
    match request.store {
        Some(destination) => {
            let owned: Vec<Found<Box<[u8]>>> = found
                .into_iter()
                .map(|p| Found {
                    member: p.member.into(),
                    score: p.score,
                    lon: p.lon,
                    lat: p.lat,
                    distance: p.distance,
                })
                .collect();
            store_found(ctx, destination, &owned, &request, form);
        }
        None => reply_found(&mut ctx.out, &found, &request),
    }
    Ok(())
}

fn reply_found<M: AsRef<[u8]>>(out: &mut Reply<'_>, found: &[Found<M>], request: &Search<'_>) {
    let extras = usize::from(request.with_dist) + usize::from(request.with_hash) + usize::from(request.with_coord);
    out.array(found.len());
    for point in found {
        if extras > 0 {
            out.array(extras + 1);
        }
        out.bulk(point.member.as_ref());
        if request.with_dist {
            reply_distance(out, point.distance);
        }
        if request.with_hash {
            out.int(point.score as i64);
        }
        if request.with_coord {
            out.array(2);
            reply_coordinate(out, point.lon);
            reply_coordinate(out, point.lat);
        }
    }
}

/// Stores the found members (scored by geohash, or by distance with
/// `STOREDIST`) under `destination`, and logs what was stored.
fn store_found(ctx: &mut Ctx<'_>, destination: &[u8], found: &[Found<Box<[u8]>>], request: &Search<'_>, form: Form) {
    let mut result = ZSet::new();
    for point in found {
        result.insert(&point.member, if request.store_dist { point.distance } else { point.score });
    }
    let event = if matches!(form, Form::Search | Form::SearchStore) { "geosearchstore" } else { "georadiusstore" };
    let dirty = ctx.server.persist.dirty;
    store_zset(ctx, destination, result, event);
    if ctx.server.persist.dirty == dirty {
        return;
    }
    ctx.log_as(&[b"DEL", destination]);
    if found.is_empty() {
        return;
    }
    let mut zadd = Built::with_capacity(2 + 2 * found.len(), 64 * found.len());
    zadd.push(b"ZADD");
    zadd.push(destination);
    let mut text = [0u8; 64];
    for point in found {
        let len = format_double(if request.store_dist { point.distance } else { point.score }, &mut text);
        zadd.push(&text[..len]);
        zadd.push(&point.member);
    }
    let logged: Vec<&[u8]> = zadd.args().iter().collect();
    ctx.log_as(&logged);
}

fn georadius(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    search(ctx, args, Form::Radius { store: true })
}

fn georadius_ro(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    search(ctx, args, Form::Radius { store: false })
}

fn georadiusbymember(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    search(ctx, args, Form::ByMember { store: true })
}

fn georadiusbymember_ro(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    search(ctx, args, Form::ByMember { store: false })
}

fn geosearch(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    search(ctx, args, Form::Search)
}

fn geosearchstore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    search(ctx, args, Form::SearchStore)
}
