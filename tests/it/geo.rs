//! Geo commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS,
//! GEORADIUS_RO, GEORADIUSBYMEMBER, GEORADIUSBYMEMBER_RO, GEOSEARCH and
//! GEOSEARCHSTORE.
//!
//! Every expectation is the exact reply of Redis 7.0 on the wire, printed
//! numbers included (scores, coordinates to 17 decimals, distances to
//! four); run with `EFIS_TEST_SERVER=redis` to check them against the
//! real redis-server.

use crate::common::wire::{self, Wire};
use crate::common::Server;

/// GEOADD stores Redis's 52-bit scores; NX, XX, CH; coordinates at and past the limits of the valid ranges.
#[test]
fn geoadd_scores_options_and_limits() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ":2\r\n");
    w.is(
        &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
        "*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n",
    );
    // Existing members: XX CH counts the changed one; NX adds nothing.
    w.is(&["GEOADD", "Sicily", "XX", "CH", "13.361389", "38.2", "Palermo", "1", "1", "nothere"], ":1\r\n");
    w.is(&["GEOADD", "Sicily", "NX", "13.361389", "38.115556", "Palermo"], ":0\r\n");
    w.is(&["GEOADD", "Sicily", "CH", "NX", "13.361389", "38.115556", "Palermo"], ":0\r\n");
    w.is(&["ZCARD", "Sicily"], ":2\r\n");
    // The limits of the valid ranges, and just past them.
    w.is(&["GEOADD", "edges", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "0", "0", "origin"], ":3\r\n");
    w.is(&["GEOADD", "edges", "180.000001", "0", "x"], "-ERR invalid longitude,latitude pair 180.000001,0.000000\r\n");
    w.is(&["GEOADD", "edges", "0", "85.05112879", "x"], "-ERR invalid longitude,latitude pair 0.000000,85.051129\r\n");
    w.is(&["GEOADD", "edges", "-180.5", "-86", "x"], "-ERR invalid longitude,latitude pair -180.500000,-86.000000\r\n");
    w.is(&["GEOADD", "edges", "inf", "0", "x"], "-ERR invalid longitude,latitude pair inf,0.000000\r\n");
    w.is(&["GEOADD", "edges", "abc", "0", "x"], "-ERR value is not a valid float\r\n");
    w.is(&["GEOADD", "edges", "0", "1e400", "x"], "-ERR value is not a valid float\r\n");
    // Options and shape errors.
    w.is(&["GEOADD", "edges", "NX", "XX", "1", "1", "x"], "-ERR syntax error\r\n");
    w.is(&["GEOADD", "edges", "1", "1", "x", "2"], "-ERR syntax error\r\n");
    w.is(&["GEOADD", "edges", "GT", "1", "1", "x"], "-ERR syntax error\r\n");
    w.is(&["GEOADD", "edges", "CH", "CH", "1", "1"], "-ERR syntax error\r\n");
    w.is(&["ZCARD", "edges"], ":3\r\n");
}

/// GEOPOS, GEOHASH and GEODIST, in every unit, on missing members and keys, across the antimeridian and between the poles.
#[test]
fn geopos_geohash_geodist() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ":2\r\n");
    w.is(
        &[
            "GEOADD",
            "edges",
            "180",
            "85.05112878",
            "ne",
            "-180",
            "-85.05112878",
            "sw",
            "0",
            "0",
            "origin",
            "-179.999999",
            "0.5",
            "west",
            "179.999999",
            "0.5",
            "east",
        ],
        ":5\r\n",
    );
    w.is(&["GEOPOS", "Sicily", "Palermo", "nope", "Catania"], "*3\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n");
    w.is(&["GEOPOS", "edges", "ne", "sw", "origin", "west", "east"], "*5\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$19\r\n0.00000268220901489\r\n$19\r\n0.00000126736058093\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$19\r\n0.50000036325177888\r\n*2\r\n$21\r\n179.99999731779098511\r\n$19\r\n0.50000036325177888\r\n");
    w.is(&["GEOPOS", "missing", "a", "b"], "*2\r\n*-1\r\n*-1\r\n");
    w.is(&["GEOPOS", "Sicily"], "*0\r\n");
    w.is(
        &["GEOHASH", "Sicily", "Palermo", "Catania", "nope"],
        "*3\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$-1\r\n",
    );
    w.is(&["GEOHASH", "edges", "ne", "sw", "origin", "west", "east"], "*5\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\ns0000000000\r\n$11\r\n8004b5008n0\r\n$11\r\nxbpfzgpbxy0\r\n");
    w.is(&["GEOHASH", "missing", "a"], "*1\r\n$-1\r\n");
    w.is(&["GEOHASH", "Sicily"], "*0\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "Catania"], "$11\r\n166274.1516\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "Catania", "m"], "$11\r\n166274.1516\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "Catania", "KM"], "$8\r\n166.2742\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "Catania", "mi"], "$8\r\n103.3182\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "Catania", "ft"], "$11\r\n545518.8700\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "Palermo"], "$6\r\n0.0000\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "nope"], "$-1\r\n");
    w.is(&["GEODIST", "missing", "a", "b"], "$-1\r\n");
    w.is(
        &["GEODIST", "Sicily", "Palermo", "Catania", "yd"],
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n",
    );
    w.is(&["GEODIST", "missing", "a", "b", "yd"], "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "Catania", "km", "extra"], "-ERR syntax error\r\n");
    // Across the antimeridian and from pole to pole.
    w.is(&["GEODIST", "edges", "west", "east", "km"], "$6\r\n0.0006\r\n");
    w.is(&["GEODIST", "edges", "ne", "sw", "km"], "$10\r\n18919.8446\r\n");
}

/// GEORADIUS, GEORADIUSBYMEMBER and GEOSEARCH: shapes, units, ordering, COUNT and ANY, the extras, and every argument error.
#[test]
fn searches_by_radius_and_box() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(
        &[
            "GEOADD",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
            "12.758489",
            "38.788135",
            "edge1",
            "17.241510",
            "38.788135",
            "edge2",
        ],
        ":4\r\n",
    );
    // GEORADIUS: unsorted (cell order), sorted, with every extra.
    w.is(&["GEORADIUS", "Sicily", "15", "37", "200", "km"], "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC"], "*2\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n");
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC", "WITHDIST"],
        "*2\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n",
    );
    w.is(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"], "*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n");
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "124.2", "mi", "ASC", "WITHDIST"],
        "*2\r\n*2\r\n$7\r\nCatania\r\n$7\r\n35.0711\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n118.3357\r\n",
    );
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "200000", "m", "ASC", "WITHDIST"],
        "*2\r\n*2\r\n$7\r\nCatania\r\n$10\r\n56441.2579\r\n*2\r\n$7\r\nPalermo\r\n$11\r\n190442.4298\r\n",
    );
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "656168", "ft", "ASC", "WITHDIST"],
        "*2\r\n*2\r\n$7\r\nCatania\r\n$11\r\n185174.7305\r\n*2\r\n$7\r\nPalermo\r\n$11\r\n624811.1215\r\n",
    );
    w.is(&["GEORADIUS", "Sicily", "15", "37", "1", "km"], "*0\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "0", "km"], "*0\r\n");
    // COUNT sorts by distance; COUNT ANY stops at the first found.
    w.is(&["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT", "2"], "*2\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n");
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT", "2", "DESC"],
        "*2\r\n$5\r\nedge1\r\n$5\r\nedge2\r\n",
    );
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT", "100"],
        "*4\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n$5\r\nedge2\r\n$5\r\nedge1\r\n",
    );
    w.is(&["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT", "1", "ANY"], "*1\r\n$7\r\nPalermo\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "300", "km", "ANY"], "-ERR the ANY argument requires COUNT argument\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT", "0"], "-ERR COUNT must be > 0\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT", "-1"], "-ERR COUNT must be > 0\r\n");
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    w.is(&["GEORADIUS", "Sicily", "15", "37", "300", "km", "COUNT"], "-ERR syntax error\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "300", "km", "BOGUS"], "-ERR syntax error\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "-1", "km"], "-ERR radius cannot be negative\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "x", "km"], "-ERR need numeric radius\r\n");
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "1", "lightyears"],
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n",
    );
    w.is(
        &["GEORADIUS", "Sicily", "181", "37", "1", "km"],
        "-ERR invalid longitude,latitude pair 181.000000,37.000000\r\n",
    );
    w.is(
        &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "WITHDIST"],
        "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n",
    );
    w.is(&["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "dst"], "-ERR syntax error\r\n");
    w.is(&["GEORADIUS", "missing", "15", "37", "200", "km"], "*0\r\n");
    // GEORADIUSBYMEMBER.
    w.is(&["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST", "ASC"], "*3\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$5\r\nedge1\r\n$7\r\n91.4007\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n");
    w.is(&["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "100", "km", "WITHCOORD"], "*2\r\n*2\r\n$7\r\nPalermo\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*2\r\n$5\r\nedge1\r\n*2\r\n$19\r\n12.7584877610206604\r\n$20\r\n38.78813451624225195\r\n");
    w.is(&["GEORADIUSBYMEMBER", "Sicily", "nope", "200", "km"], "-ERR could not decode requested zset member\r\n");
    w.is(&["GEORADIUSBYMEMBER", "missing", "nope", "200", "km"], "*0\r\n");
    w.is(&["GEORADIUSBYMEMBER", "missing", "nope", "x", "km"], "*0\r\n");
    w.is(&["GEORADIUSBYMEMBER", "Sicily", "Palermo", "-5", "km"], "-ERR radius cannot be negative\r\n");
    // GEOSEARCH: from a member or a point, by radius or box.
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"],
        "*2\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n",
    );
    w.is(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST"], "*4\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*3\r\n$5\r\nedge2\r\n$8\r\n279.7403\r\n*2\r\n$20\r\n17.24151045083999634\r\n$20\r\n38.78813451624225195\r\n*3\r\n$5\r\nedge1\r\n$8\r\n279.7405\r\n*2\r\n$19\r\n12.7584877610206604\r\n$20\r\n38.78813451624225195\r\n");
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "200", "km", "ASC"],
        "*1\r\n$7\r\nCatania\r\n",
    );
    w.is(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "248.5", "248.5", "mi", "DESC", "WITHDIST"], "*4\r\n*2\r\n$5\r\nedge1\r\n$8\r\n173.8231\r\n*2\r\n$5\r\nedge2\r\n$8\r\n173.8230\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n118.3357\r\n*2\r\n$7\r\nCatania\r\n$7\r\n35.0711\r\n");
    w.is(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "WITHHASH"], "*3\r\n*2\r\n$7\r\nPalermo\r\n:3479099956230698\r\n*2\r\n$5\r\nedge1\r\n:3479273021651468\r\n*2\r\n$7\r\nCatania\r\n:3479447370796909\r\n");
    w.is(
        &["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "COUNT", "1", "ANY"],
        "*1\r\n$7\r\nPalermo\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "200", "km"],
        "-ERR could not decode requested zset member\r\n",
    );
    w.is(&["GEOSEARCH", "missing", "FROMMEMBER", "nope", "BYRADIUS", "200", "km"], "*0\r\n");
    w.is(
        &["GEOSEARCH", "missing", "FROMLONLAT", "200", "0", "BYRADIUS", "200", "km"],
        "-ERR invalid longitude,latitude pair 200.000000,0.000000\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"],
        "-ERR wrong number of arguments for 'geosearch' command\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "BYRADIUS", "200", "km"],
        "-ERR wrong number of arguments for 'geosearch' command\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
        "-ERR syntax error\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "BYBOX", "1", "1", "km"],
        "-ERR syntax error\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"],
        "-ERR height or width cannot be negative\r\n",
    );
    w.is(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "km"], "-ERR need numeric height\r\n");
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "yd"],
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "x"],
        "-ERR syntax error\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"],
        "-ERR syntax error\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ANY"],
        "-ERR the ANY argument requires COUNT argument\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "ASC"],
        "-ERR wrong number of arguments for 'geosearch' command\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "BYRADIUS", "200", "km", "ASC"],
        "-ERR wrong number of arguments for 'geosearch' command\r\n",
    );
    w.is(
        &["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "WITHHASH", "COUNT", "2"],
        "*2\r\n*2\r\n$7\r\nPalermo\r\n:3479099956230698\r\n*2\r\n$5\r\nedge1\r\n:3479273021651468\r\n",
    );
}

/// STORE, STOREDIST and GEOSEARCHSTORE: the stored scores, an emptied destination, the source as destination.
#[test]
fn searches_that_store() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(
        &[
            "GEOADD",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
            "12.758489",
            "38.788135",
            "edge1",
            "17.241510",
            "38.788135",
            "edge2",
        ],
        ":4\r\n",
    );
    w.is(&["SET", "dst", "old"], "+OK\r\n");
    w.is(&["EXPIRE", "dst", "1000"], ":1\r\n");
    w.is(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"], ":2\r\n");
    w.is(&["TYPE", "dst"], "+zset\r\n");
    w.is(&["TTL", "dst"], ":-1\r\n");
    w.is(
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        "*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n",
    );
    w.is(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst", "COUNT", "1"], ":1\r\n");
    w.is(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*2\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n");
    w.is(&["GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "km", "STORE", "dst", "DESC"], ":2\r\n");
    w.is(
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        "*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$5\r\nedge1\r\n$16\r\n3479273021651468\r\n",
    );
    // An empty result deletes the destination.
    w.is(&["GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "dst"], ":0\r\n");
    w.is(&["EXISTS", "dst"], ":0\r\n");
    w.is(&["GEORADIUS", "missing", "15", "37", "1", "km", "STORE", "dst"], ":0\r\n");
    w.is(&["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km"], ":4\r\n");
    w.is(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*8\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$5\r\nedge1\r\n$16\r\n3479273021651468\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n$5\r\nedge2\r\n$16\r\n3481342659049484\r\n");
    w.is(
        &[
            "GEOSEARCHSTORE",
            "dst",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYBOX",
            "400",
            "400",
            "km",
            "STOREDIST",
            "ASC",
            "COUNT",
            "3",
        ],
        ":3\r\n",
    );
    w.is(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*6\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n$5\r\nedge2\r\n$17\r\n279.7403417843143\r\n");
    w.is(
        &["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "mi", "STOREDIST"],
        ":1\r\n",
    );
    w.is(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*2\r\n$7\r\nCatania\r\n$18\r\n35.071058862737644\r\n");
    w.is(&["GEOSEARCHSTORE", "dst", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "mi"], ":0\r\n");
    w.is(&["EXISTS", "dst"], ":0\r\n");
    w.is(
        &["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "mi", "WITHCOORD"],
        "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n",
    );
    w.is(
        &["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "mi", "STORE", "x"],
        "-ERR syntax error\r\n",
    );
    w.is(&["GEOSEARCHSTORE", "Sicily", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"], ":1\r\n");
    w.is(&["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"], "*2\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n");
}

/// A key of another type, and too few arguments.
#[test]
fn wrong_types_and_arity() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["SET", "str", "x"], "+OK\r\n");
    w.is(&["RPUSH", "list", "a"], ":1\r\n");
    w.is(&["GEOADD", "str", "1", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    w.is(&["GEOADD", "list", "1", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    w.is(&["GEOPOS", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    w.is(&["GEOHASH", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    w.is(&["GEODIST", "str", "a", "b"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    w.is(&["GEODIST", "str", "a", "b", "yd"], "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
    w.is(
        &["GEORADIUS", "str", "15", "37", "200", "km"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    w.is(
        &["GEORADIUS", "str", "200", "37", "200", "km"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    w.is(
        &["GEORADIUSBYMEMBER", "str", "a", "200", "km"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    w.is(
        &["GEOSEARCH", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    w.is(
        &["GEOSEARCHSTORE", "dst", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    w.is(&["GEOSEARCHSTORE", "str", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], ":0\r\n");
    w.is(&["EXISTS", "str"], ":0\r\n");
    w.is(&["GEOADD", "k", "1", "1"], "-ERR wrong number of arguments for 'geoadd' command\r\n");
    w.is(&["GEODIST", "k", "a"], "-ERR wrong number of arguments for 'geodist' command\r\n");
    w.is(&["GEOHASH"], "-ERR wrong number of arguments for 'geohash' command\r\n");
    w.is(&["GEOPOS"], "-ERR wrong number of arguments for 'geopos' command\r\n");
    w.is(&["GEORADIUS", "k", "1", "1", "1"], "-ERR wrong number of arguments for 'georadius' command\r\n");
    w.is(&["GEORADIUS_RO", "k", "1", "1", "1"], "-ERR wrong number of arguments for 'georadius_ro' command\r\n");
    w.is(&["GEORADIUSBYMEMBER", "k", "a", "1"], "-ERR wrong number of arguments for 'georadiusbymember' command\r\n");
    w.is(
        &["GEORADIUSBYMEMBER_RO", "k", "a", "1"],
        "-ERR wrong number of arguments for 'georadiusbymember_ro' command\r\n",
    );
    w.is(
        &["GEOSEARCH", "k", "FROMLONLAT", "1", "1", "BYRADIUS"],
        "-ERR wrong number of arguments for 'geosearch' command\r\n",
    );
    w.is(
        &["GEOSEARCHSTORE", "d", "k", "FROMLONLAT", "1", "1", "BYRADIUS"],
        "-ERR wrong number of arguments for 'geosearchstore' command\r\n",
    );
}

/// Any score decodes to a point, as in Redis (a negative one through its two's complement).
#[test]
fn scores_that_are_not_stored_points() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["ZADD", "odd", "0", "zero", "-5", "neg", "4503599627370496", "big", "1.5", "frac"], ":4\r\n");
    w.is(&["GEOPOS", "odd", "zero", "neg", "big", "frac"], "*4\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$19\r\n85.0511287799999991\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112497791824921\r\n");
    w.is(
        &["GEOHASH", "odd", "zero", "neg", "big", "frac"],
        "*4\r\n$11\r\n00bh0hbj200\r\n$11\r\nbp05b5048p0\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj210\r\n",
    );
}

/// Searches near the poles and across the antimeridian find what Redis finds.
#[test]
fn poles_and_the_antimeridian() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(
        &[
            "GEOADD",
            "polar",
            "0",
            "85.05112878",
            "north",
            "0",
            "-85.05112878",
            "south",
            "179.9",
            "10",
            "e1",
            "-179.9",
            "10",
            "w1",
            "180",
            "-10",
            "e2",
            "-180",
            "-10",
            "w2",
        ],
        ":6\r\n",
    );
    w.is(
        &["GEOSEARCH", "polar", "FROMLONLAT", "180", "10", "BYRADIUS", "50", "km", "ASC", "WITHDIST"],
        "*1\r\n*2\r\n$2\r\ne1\r\n$7\r\n10.9537\r\n",
    );
    w.is(
        &["GEOSEARCH", "polar", "FROMLONLAT", "-180", "-10", "BYBOX", "100", "100", "km", "ASC", "WITHDIST"],
        "*1\r\n*2\r\n$2\r\nw2\r\n$6\r\n0.0003\r\n",
    );
    w.is(
        &["GEOSEARCH", "polar", "FROMLONLAT", "90", "85", "BYRADIUS", "2000", "km", "ASC", "WITHDIST", "WITHCOORD"],
        "*0\r\n",
    );
    w.is(
        &["GEOSEARCH", "polar", "FROMLONLAT", "0", "-84", "BYRADIUS", "200", "km", "ASC", "WITHDIST"],
        "*1\r\n*2\r\n$5\r\nsouth\r\n$8\r\n116.9130\r\n",
    );
    w.is(&["GEOSEARCH", "polar", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "ASC", "WITHDIST"], "*4\r\n*2\r\n$5\r\nsouth\r\n$9\r\n9459.9222\r\n*2\r\n$2\r\ne1\r\n$10\r\n18908.4158\r\n*2\r\n$2\r\nw1\r\n$10\r\n18908.4158\r\n*2\r\n$2\r\nw2\r\n$10\r\n18908.4709\r\n");
    w.is(
        &["GEOSEARCH", "polar", "FROMLONLAT", "0", "0", "BYBOX", "40000", "20000", "km", "DESC", "COUNT", "3"],
        "*3\r\n$2\r\nw2\r\n$2\r\ne1\r\n$2\r\nw1\r\n",
    );
    w.is(&["GEODIST", "polar", "north", "south", "km"], "$10\r\n18919.8446\r\n");
    w.is(&["GEODIST", "polar", "e1", "w1", "km"], "$7\r\n21.9075\r\n");
}

/// RESP3: coordinates are doubles, missing positions null.
#[test]
fn resp3_replies() {
    let server = Server::start();
    let mut w = Wire::open_resp3(&server);
    w.is(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ":2\r\n");
    w.is(
        &["GEOPOS", "Sicily", "Palermo", "nope"],
        "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n",
    );
    w.is(&["GEOHASH", "Sicily", "nope"], "*1\r\n_\r\n");
    w.is(&["GEODIST", "Sicily", "Palermo", "nope"], "_\r\n");
    w.is(&["GEODIST", "missing", "Palermo", "nope"], "_\r\n");
    w.is(
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "km", "WITHCOORD", "WITHDIST", "WITHHASH"],
        "*1\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n",
    );
}

/// The keyspace events of the geo writes: GEOADD announces `zadd` (it
/// is a ZADD), the stores `georadiusstore`/`geosearchstore`, and a store
/// of nothing the `del` of its destination.
#[test]
fn geo_writes_announce_their_events() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut subscriber = wire::subscribe_key_events(&server, &mut w);
    w.is(&["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ":2\r\n");
    w.is(&["GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo"], ":0\r\n");
    w.is(&["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "r"], ":2\r\n");
    w.is(&["GEOSEARCHSTORE", "s", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"], ":1\r\n");
    w.is(&["GEOSEARCHSTORE", "s", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], ":0\r\n");
    let events = wire::events_until_marker(&mut w, &mut subscriber);
    let want = [("zadd", "g"), ("georadiusstore", "r"), ("geosearchstore", "s"), ("del", "s")];
    let want: Vec<(String, String)> = want.iter().map(|(e, k)| (e.to_string(), k.to_string())).collect();
    assert_eq!(events, want);
}

/// A small deterministic generator (xorshift64*), so that a failure
/// repeats.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `[low, high)`.
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (high - low)
    }
}

fn distance_of(w: &mut Wire, a: &str, b: &str) -> f64 {
    let reply = w.call(&["GEODIST", "pts", a, b]);
    let text = String::from_utf8_lossy(&reply);
    text.lines().nth(1).and_then(|d| d.parse().ok()).unwrap_or_else(|| panic!("GEODIST {a} {b}: {text}"))
}

/// Random points and random searches away from the poles: everything a
/// radius search returns lies within the radius by GEODIST, and every
/// member clearly inside (99.9% of the radius) is returned, whatever cells
/// the search scans.
#[test]
fn radius_searches_are_sound_and_complete() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    let mut random = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut add = vec!["GEOADD".to_string(), "pts".to_string()];
    for i in 0..400 {
        add.push(format!("{:.6}", random.uniform(-30.0, 30.0)));
        add.push(format!("{:.6}", random.uniform(-60.0, 60.0)));
        add.push(format!("p{i}"));
    }
    w.is(&add, ":400\r\n");
    for round in 0..40 {
        let (lon, lat) = (random.uniform(-30.0, 30.0), random.uniform(-55.0, 55.0));
        let radius_km = [50.0, 300.0, 1000.0, 3000.0][round % 4];
        let (lon, lat) = (format!("{lon:.6}"), format!("{lat:.6}"));
        w.is(&["GEOADD", "pts", &lon, &lat, "centre"], ":1\r\n");
        let radius = format!("{radius_km}");
        let found = w.value(&["GEOSEARCH", "pts", "FROMMEMBER", "centre", "BYRADIUS", &radius, "km"]);
        let found: std::collections::BTreeSet<String> =
            found.items().iter().map(|m| String::from_utf8_lossy(m.bytes()).into_owned()).collect();
        for i in 0..400 {
            let member = format!("p{i}");
            let d = distance_of(&mut w, "centre", &member) / 1000.0;
            if found.contains(&member) {
                assert!(d <= radius_km + 1e-3, "{member} at {d} km returned for {radius_km} km around {lon},{lat}");
            } else {
                assert!(d > radius_km * 0.999, "{member} at {d} km missed for {radius_km} km around {lon},{lat}");
            }
        }
        w.is(&["ZREM", "pts", "centre"], ":1\r\n");
    }
}
