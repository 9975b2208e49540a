//! Raw access to block headers and free-list links.
