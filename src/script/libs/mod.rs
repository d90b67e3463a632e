//! The C libraries Redis links into its Lua, written for Efis: `bit`
//! (LuaBitOp), `cjson`, `cmsgpack` and `struct`, each opened as a global
//! table of the same name. Each file says where it follows the C library
//! and where it differs.

use mlua::Lua;

mod bit;
mod cjson;
mod cmsgpack;
mod structlib;

/// Opens every library into `lua`'s globals.
pub fn open_all(lua: &Lua) -> mlua::Result<()> {
    bit::open(lua)?;
    cjson::open(lua)?;
    cmsgpack::open(lua)?;
    structlib::open(lua)?;
    Ok(())
}
