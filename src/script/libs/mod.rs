//! The C libraries Redis links into its Lua, written for Efis: `bit`
//! (LuaBitOp), `cjson`, `cmsgpack` and `struct`, each opened as a global
//! table of the same name. Each file says where it follows the C library
//! and where it differs; `native` holds what they share to behave like C
//! code (functions that raise errors as C library functions do, a C-level
//! `next`, the C conventions they reproduce), and all their unsafe code.

use mlua::Lua;

mod bit;
mod cjson;
mod cmsgpack;
mod native;
mod structlib;

/// Opens every library into `lua`'s globals.
pub fn open_all(lua: &Lua) -> mlua::Result<()> {
    bit::open(lua)?;
    cjson::open(lua)?;
    cmsgpack::open(lua)?;
    structlib::open(lua)?;
    Ok(())
}
