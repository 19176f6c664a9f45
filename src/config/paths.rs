//! Where vigil reads and writes files (XDG).
