//! Keys to actions, as data (`keymaps/*.toml`).
